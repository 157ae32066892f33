#include "runtime/config/schema_defaults.h"

#include <functional>
#include <set>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>

#include "core/error.h"
#include "moefab.pb.h"

namespace moefab {

namespace gp = google::protobuf;

namespace {

const std::string& DefaultValueOf(const gp::FieldDescriptor* f) {
  return f->options().GetExtension(config::default_value);
}
const std::string& DefaultRuleOf(const gp::FieldDescriptor* f) {
  return f->options().GetExtension(config::default_rule);
}

// True when a field of type `d`, or of a singular message below it, has a default_value.
bool HoldsDefaults(const gp::Descriptor* d) {
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (!DefaultValueOf(f).empty()) return true;
    if (f->type() == gp::FieldDescriptor::TYPE_MESSAGE && !f->is_repeated() && HoldsDefaults(f->message_type()))
      return true;
  }
  return false;
}

void SetFromText(gp::Message& m, const gp::FieldDescriptor* f, const std::string& text) {
  // Config text: strings are quoted there, enums by name, numbers as written.
  const std::string input = f->cpp_type() == gp::FieldDescriptor::CPPTYPE_STRING ? "\"" + text + "\"" : text;
  MOEFAB_CHECK(gp::TextFormat::ParseFieldValueFromString(input, f, &m),
               "configs/moefab.proto: " << f->full_name() << ": default_value \"" << text
                                        << "\" is not a value of the field's type");
}

void ForEachField(const gp::Descriptor* d, const std::function<void(const gp::FieldDescriptor*)>& visit,
                  std::set<const gp::Descriptor*>& seen) {
  if (!seen.insert(d).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    visit(f);
    if (f->type() == gp::FieldDescriptor::TYPE_MESSAGE) ForEachField(f->message_type(), visit, seen);
  }
}

std::vector<std::string> FieldsWith(const std::function<bool(const gp::FieldDescriptor*)>& pred) {
  std::vector<std::string> out;
  std::set<const gp::Descriptor*> seen;
  ForEachField(
      config::Config::descriptor(),
      [&](const gp::FieldDescriptor* f) {
        if (pred(f)) out.push_back(f->containing_type()->name() + "." + f->name());
      },
      seen);
  return out;
}

void CheckEnums(const gp::Message& m, const std::string& prefix, Problems& p) {
  const gp::Descriptor* d = m.GetDescriptor();
  const gp::Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    const std::string path = prefix + f->name();
    if (f->type() == gp::FieldDescriptor::TYPE_ENUM) {
      const auto check = [&](int value, const std::string& where) {
        if (f->enum_type()->FindValueByNumber(value) != nullptr) return;
        std::string names;
        for (int k = 0; k < f->enum_type()->value_count(); ++k) {
          const auto* v = f->enum_type()->value(k);
          if (v->number() == 0) continue;  // *_UNSPECIFIED: written by leaving the field out
          names += (names.empty() ? "" : ", ") + v->name();
        }
        p.Add(where, value, "expected one of " + names + " (an enum of configs/moefab.proto)");
      };
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k)
          check(r->GetRepeatedEnumValue(m, f, k), path + "[" + std::to_string(k) + "]");
      } else {
        check(r->GetEnumValue(m, f), path);
      }
    } else if (f->type() == gp::FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k)
          CheckEnums(r->GetRepeatedMessage(m, f, k), path + "[" + std::to_string(k) + "].", p);
      } else if (r->HasField(m, f)) {
        CheckEnums(r->GetMessage(m, f), path + ".", p);
      }
    }
  }
}

}  // namespace

void ApplySchemaDefaults(gp::Message& m) {
  const gp::Descriptor* d = m.GetDescriptor();
  const gp::Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->type() == gp::FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k) ApplySchemaDefaults(*r->MutableRepeatedMessage(&m, f, k));
      } else if (r->HasField(m, f) || HoldsDefaults(f->message_type())) {
        ApplySchemaDefaults(*r->MutableMessage(&m, f));
      }
      continue;
    }
    const std::string& value = DefaultValueOf(f);
    // Proto3 singular scalars: HasField is false exactly at 0 / empty / *_UNSPECIFIED.
    if (value.empty() || f->is_repeated() || r->HasField(m, f)) continue;
    SetFromText(m, f, value);
  }
}

void CheckEnumValues(const gp::Message& m, Problems& p) {
  CheckEnums(m, "", p);
}

std::string SchemaDefaultValue(const std::string& path) {
  const auto dot = path.find('.');
  if (dot == std::string::npos) return "";
  const auto* d = config::Config::descriptor()->file()->FindMessageTypeByName(path.substr(0, dot));
  const auto* f = d ? d->FindFieldByName(path.substr(dot + 1)) : nullptr;
  return f ? DefaultValueOf(f) : "";
}

std::vector<std::string> FieldsWithDefaultValue() {
  return FieldsWith([](const gp::FieldDescriptor* f) { return !DefaultValueOf(f).empty(); });
}

std::vector<std::string> FieldsWithDefaultRule() {
  return FieldsWith([](const gp::FieldDescriptor* f) { return !DefaultRuleOf(f).empty(); });
}

const std::vector<std::string>& DefaultRulesApplied() {
  // Where each is applied: config_loader.cc (Model, ChipSku), config_workload.cc (Workload,
  // Routing, Simulation), config_placement.cc / runtime/plan (Placement), fabric_options.cc
  // and the fabric itself (Fabric, Torus, FabricBench).
  static const std::vector<std::string> kRules = {
      "Model.dense_ffn_width",
      "Model.num_heads",
      "Model.num_kv_heads",
      "Model.kv_bytes_per_token_layer",
      "Model.v_head_dim",
      "ChipSku.weight_format",
      "Fabric.routing",
      "Fabric.num_vcs",
      "Fabric.buffer_flits",
      "Torus.optical_bandwidth_mbytes_per_s",
      "FabricBench.patterns",
      "FabricBench.loads",
      "Placement.slots_per_chip",
      "Workload.capacity_window_tokens",
      "Routing.zipf_s",
      "Simulation.build_cache",
  };
  return kRules;
}

}  // namespace moefab
