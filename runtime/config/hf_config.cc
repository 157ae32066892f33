#include "runtime/config/hf_config.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/json_reader.h"
#include "moefab.pb.h"

namespace moefab {

namespace {

namespace pb = ::moefab::config;
using json::Kind;
using json::Value;

const char kKnownTypes[] =
    "mixtral, qwen2_moe, qwen3_moe, qwen3_next, olmoe, dbrx, deepseek_v2, deepseek_v3, kimi_k2, glm4_moe, gpt_oss, "
    "granitemoe, llama4, llama4_text";

// A JSON value shown for messages: strings quoted, numbers as written, containers by kind.
std::string Shown(const Value& v) {
  switch (v.kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return v.boolean ? "true" : "false";
    case Kind::kNumber:
      return v.text;
    case Kind::kString:
      return "\"" + v.text + "\"";
    case Kind::kArray:
      return "(an array)";
    case Kind::kObject:
      return "(an object)";
  }
  return "?";
}

// Typed access to the members of one object of the file; `prefix` names it in messages
// ("" for the top level, "text_config." for Llama 4's text part).
class Keys {
 public:
  Keys(const std::string& file, const Value& object, std::string prefix, std::vector<std::string>* notes)
      : file_(file), obj_(object), prefix_(std::move(prefix)), notes_(notes) {}

  const std::string& file() const { return file_; }
  std::string Name(const std::string& key) const { return prefix_ + key; }

  [[noreturn]] void Bad(const std::string& key, const Value& v, const std::string& expected) const {
    throw ConfigError(file_ + ":" + std::to_string(v.line) + ":" + std::to_string(v.column) + ": " + Name(key) + "=" +
                      Shown(v) + ": " + expected);
  }
  [[noreturn]] void Missing(const std::string& key, const std::string& expected) const {
    throw ConfigError(file_ + ": " + Name(key) + "=(missing): " + expected);
  }

  // Records that `key` is absent and `fallback` stands in for it (ApplyHfConfig's notes).
  void Note(const std::string& key, const std::string& fallback, const std::string& what) const {
    if (notes_) notes_->push_back(file_ + ": " + Name(key) + " absent; took " + fallback + " (" + what + ")");
  }
  // A note of the file as a whole (what moefab approximates).
  void NoteText(const std::string& text) const {
    if (notes_) notes_->push_back(file_ + ": " + text);
  }

  // The member, or nullptr when absent or null (HF writes null for "not set").
  const Value* Get(const std::string& key) const {
    const Value* v = obj_.Find(key);
    return v && !v->is_null() ? v : nullptr;
  }
  bool Has(const std::string& key) const { return Get(key) != nullptr; }

  // Required integer >= min (a uint32); `what` says what it is.
  uint32_t U32(const std::string& key, const std::string& what, uint32_t min = 1) const {
    const Value* v = Get(key);
    if (!v) Missing(key, "expected an integer >= " + std::to_string(min) + " (" + what + ")");
    return Check(key, *v, what, min);
  }
  uint32_t U32Or(const std::string& key, uint32_t fallback, const std::string& what, uint32_t min = 0) const {
    const Value* v = Get(key);
    if (!v) Note(key, std::to_string(fallback), what);
    return v ? Check(key, *v, what, min) : fallback;
  }
  double NumberOr(const std::string& key, double fallback, const std::string& what) const {
    const Value* v = Get(key);
    if (!v) {
      std::ostringstream shown;
      shown << fallback;
      Note(key, shown.str(), what);
      return fallback;
    }
    if (v->kind != Kind::kNumber) Bad(key, *v, "expected a number (" + what + ")");
    return v->number;
  }
  bool BoolOr(const std::string& key, bool fallback, const std::string& what) const {
    const Value* v = Get(key);
    if (!v) {
      Note(key, fallback ? "true" : "false", what);
      return fallback;
    }
    if (v->kind != Kind::kBool) Bad(key, *v, "expected true or false");
    return v->boolean;
  }
  std::string StringOr(const std::string& key, const std::string& fallback, const std::string& what) const {
    const Value* v = Get(key);
    if (!v) {
      if (!what.empty()) Note(key, "\"" + fallback + "\"", what);
      return fallback;
    }
    if (v->kind != Kind::kString) Bad(key, *v, "expected a string");
    return v->text;
  }
  // A list of layer indices (each < num_layers), as a set; empty when absent.
  std::set<uint32_t> LayerList(const std::string& key, uint32_t num_layers, const std::string& what) const {
    std::set<uint32_t> out;
    const Value* v = Get(key);
    if (!v) {
      Note(key, "[]", what);
      return out;
    }
    if (v->kind != Kind::kArray) Bad(key, *v, "expected an array of layer indices");
    for (const Value& item : v->items) {
      if (!item.IsUint64() || item.AsUint64() >= num_layers)
        Bad(key, item, "expected a layer index below num_hidden_layers (" + std::to_string(num_layers) + ")");
      if (!out.insert(static_cast<uint32_t>(item.AsUint64())).second) Bad(key, item, "expected each layer index once");
    }
    return out;
  }
  // A nested object member (required).
  Keys Object(const std::string& key, const std::string& what) const {
    const Value* v = Get(key);
    if (!v) Missing(key, "expected an object (" + what + ")");
    if (v->kind != Kind::kObject) Bad(key, *v, "expected an object (" + what + ")");
    return Keys(file_, *v, Name(key) + ".", notes_);
  }

 private:
  uint32_t Check(const std::string& key, const Value& v, const std::string& what, uint32_t min) const {
    if (!v.IsUint64() || v.AsUint64() > 0xFFFFFFFFull || v.AsUint64() < min)
      Bad(key, v, "expected an integer >= " + std::to_string(min) + " (" + what + ")");
    return static_cast<uint32_t>(v.AsUint64());
  }

  const std::string& file_;
  const Value& obj_;
  std::string prefix_;
  std::vector<std::string>* notes_;  // absent keys and their stand-ins; null: not kept
};

// What the file says, before it is merged into the proto (0 / UNSPECIFIED = not given).
struct HfModel {
  std::string name;
  uint32_t num_hidden_layers = 0;  // all decoder layers
  uint32_t num_dense_layers = 0;   // of those, dense-FFN layers
  uint32_t d_model = 0, expert_width = 0, num_experts = 0, top_k = 0;
  uint32_t num_shared_experts = 0, dense_ffn_width = 0;
  uint32_t num_heads = 0, num_kv_heads = 0, head_dim = 0, kv_bytes_per_token_layer = 0;
  uint32_t kv_lora_rank = 0, q_lora_rank = 0, qk_rope_head_dim = 0, v_head_dim = 0;  // MLA
  pb::RouterRule router = pb::ROUTER_RULE_UNSPECIFIED;
  uint32_t num_groups = 0, topk_groups = 0;
  double routed_scaling = 0;
  pb::WeightFormat weight_format = pb::WEIGHT_FORMAT_UNSPECIFIED;
  pb::Activation activation = pb::ACTIVATION_UNSPECIFIED;
};

// Attention fields shared by the GQA families (hidden_size / heads when head_dim is absent).
void ReadAttention(const Keys& k, HfModel& m) {
  m.num_heads = k.U32("num_attention_heads", "attention query heads");
  m.num_kv_heads = k.U32Or("num_key_value_heads", m.num_heads, "key/value heads", 1);
  m.head_dim = k.U32Or("head_dim", m.d_model / m.num_heads, "elements per attention head", 1);
}

pb::RouterRule SoftmaxRule(bool renormalise) {
  return renormalise ? pb::SOFTMAX_TOPK_RENORM : pb::SOFTMAX_TOPK;
}

void ReadMixtralLike(const Keys& k, HfModel& m, const std::string& experts_key, const std::string& width_key,
                     bool renorm_default) {
  m.num_hidden_layers = k.U32("num_hidden_layers", "decoder layers");
  m.d_model = k.U32("hidden_size", "hidden size");
  m.expert_width = k.U32(width_key, "per-expert FFN width");
  m.num_experts = k.U32(experts_key, "routed experts per layer");
  m.top_k = k.U32("num_experts_per_tok", "experts per token");
  m.router = SoftmaxRule(k.BoolOr("norm_topk_prob", renorm_default, "renormalise the top-k weights"));
  ReadAttention(k, m);
}

// Qwen2-MoE, Qwen3-MoE and Qwen3-Next: softmax top-k (renormalised by norm_topk_prob, whose
// default is the family's), MoE layers by decoder_sparse_step and mlp_only_layers.
void ReadQwenMoe(const Keys& k, HfModel& m, bool renorm_default) {
  ReadMixtralLike(k, m, "num_experts", "moe_intermediate_size", renorm_default);
  // Qwen*MoeDecoderLayer: sparse unless listed in mlp_only_layers or (i+1) % step != 0.
  const uint32_t step = k.U32Or("decoder_sparse_step", 1, "MoE layer every N layers", 1);
  const std::set<uint32_t> mlp_only = k.LayerList("mlp_only_layers", m.num_hidden_layers, "no dense-FFN layers");
  for (uint32_t i = 0; i < m.num_hidden_layers; ++i)
    if (mlp_only.count(i) || (i + 1) % step != 0) ++m.num_dense_layers;
  if (m.num_dense_layers > 0) m.dense_ffn_width = k.U32("intermediate_size", "dense FFN width");
}

// Qwen2-MoE and Qwen3-Next add one sigmoid-gated shared expert of width
// shared_expert_intermediate_size: moefab runs it as that width / moe_intermediate_size shared
// experts of the routed width (the same weights and MACs; its sigmoid gate is not modelled).
void ReadQwenSharedExpert(const Keys& k, HfModel& m) {
  const uint32_t width = k.U32("shared_expert_intermediate_size", "the shared expert's FFN width");
  if (width % m.expert_width != 0)
    k.Bad("shared_expert_intermediate_size", *k.Get("shared_expert_intermediate_size"),
          "expected a multiple of moe_intermediate_size (" + std::to_string(m.expert_width) +
              "): moefab runs the shared expert as shared experts of the routed width");
  m.num_shared_experts = width / m.expert_width;
  k.NoteText("the shared expert (width " + std::to_string(width) + ") runs as " +
             std::to_string(m.num_shared_experts) + " shared expert(s) of width " + std::to_string(m.expert_width) +
             "; its sigmoid gate is not modelled");
}

void ReadDbrx(const Keys& k, HfModel& m) {
  m.num_hidden_layers = k.U32("n_layers", "decoder layers");
  m.d_model = k.U32("d_model", "hidden size");
  m.num_heads = k.U32("n_heads", "attention query heads");
  m.head_dim = m.d_model / m.num_heads;
  const Keys ffn = k.Object("ffn_config", "the MoE FFN settings");
  m.expert_width = ffn.U32("ffn_hidden_size", "per-expert FFN width");
  m.num_experts = ffn.U32("moe_num_experts", "routed experts per layer");
  m.top_k = ffn.U32("moe_top_k", "experts per token");
  // moe_normalize_expert_weights: the p of the p-norm the top-k weights are divided by.
  const double p = ffn.NumberOr("moe_normalize_expert_weights", 0, "p-norm of the top-k weights");
  if (p != 0 && p != 1)
    ffn.Bad("moe_normalize_expert_weights", *ffn.Get("moe_normalize_expert_weights"),
            "expected 1 (L1, = SOFTMAX_TOPK_RENORM) or null (SOFTMAX_TOPK); other norms are not modelled");
  m.router = SoftmaxRule(p == 1);
  m.num_kv_heads =
      k.Has("attn_config")
          ? k.Object("attn_config", "attention settings").U32Or("kv_n_heads", m.num_heads, "key/value heads", 1)
          : m.num_heads;
}

// DeepSeek V2/V3 and Kimi K2 (DeepseekV3 architecture): MLA attention, shared experts, dense
// first layers.
void ReadDeepseek(const Keys& k, HfModel& m, bool v3, bool glm = false) {
  m.num_hidden_layers = k.U32("num_hidden_layers", "decoder layers (without the MTP layers)");
  m.d_model = k.U32("hidden_size", "hidden size");
  m.expert_width = k.U32("moe_intermediate_size", "per-expert FFN width");
  m.num_experts = k.U32("n_routed_experts", "routed experts per layer");
  m.top_k = k.U32("num_experts_per_tok", "routed experts per token");
  m.num_shared_experts = k.U32Or("n_shared_experts", 0, "shared experts per layer");
  // Layer i has experts when i >= first_k_dense_replace and i % moe_layer_freq == 0 (GLM-4-MoE
  // has no moe_layer_freq: every layer from first_k_dense_replace on).
  const uint32_t first_dense = k.U32Or("first_k_dense_replace", 0, "leading dense layers");
  const uint32_t freq = glm ? 1 : k.U32Or("moe_layer_freq", 1, "MoE layer every N layers", 1);
  for (uint32_t i = 0; i < m.num_hidden_layers; ++i)
    if (i < first_dense || i % freq != 0) ++m.num_dense_layers;
  if (m.num_dense_layers > 0) m.dense_ffn_width = k.U32("intermediate_size", "dense FFN width");
  if (glm) {
    ReadAttention(k, m);  // GLM-4-MoE: grouped-query attention, no MLA
  } else {
    m.num_heads = k.U32("num_attention_heads", "attention query heads");
    m.num_kv_heads = k.U32Or("num_key_value_heads", m.num_heads, "key/value heads", 1);
    const uint32_t nope = k.U32("qk_nope_head_dim", "MLA non-rotary head dimension");
    const uint32_t rope = k.U32("qk_rope_head_dim", "MLA rotary head dimension");
    const uint32_t kv_lora = k.U32("kv_lora_rank", "MLA latent KV dimension");
    m.head_dim = nope + rope;
    m.kv_bytes_per_token_layer = 2 * (kv_lora + rope);  // BF16 latent + rotary key per token
    m.kv_lora_rank = kv_lora;
    m.qk_rope_head_dim = rope;
    m.q_lora_rank = k.Has("q_lora_rank") ? k.U32("q_lora_rank", "MLA query compression rank") : 0;  // null: none
    m.v_head_dim = k.U32Or("v_head_dim", nope, "MLA value head dimension", 1);
  }
  m.routed_scaling = k.NumberOr("routed_scaling_factor", 1.0, "multiplier of the routed weights");
  if (!(m.routed_scaling > 0)) k.Bad("routed_scaling_factor", *k.Get("routed_scaling_factor"), "expected a number > 0");
  const bool norm = k.BoolOr("norm_topk_prob", v3, "renormalise the top-k weights");
  if (v3) {
    // GLM-4-MoE's config has no scoring_func / topk_method: its router is always these.
    const std::string scoring = k.StringOr("scoring_func", "sigmoid", glm ? "" : "the router's scores");
    if (scoring != "sigmoid")
      k.Bad("scoring_func", *k.Get("scoring_func"), "expected \"sigmoid\" (the DeepSeek-V3 rule SIGMOID_GROUP_TOPK)");
    const std::string method = k.StringOr("topk_method", "noaux_tc", glm ? "" : "the router's top-k method");
    if (method != "noaux_tc")
      k.Bad("topk_method", *k.Get("topk_method"),
            "expected \"noaux_tc\" (group-limited top-k on biased sigmoid scores)");
    if (!norm)
      k.Bad("norm_topk_prob", *k.Get("norm_topk_prob"),
            "expected true (SIGMOID_GROUP_TOPK renormalises the chosen weights)");
    m.router = pb::SIGMOID_GROUP_TOPK;
    m.num_groups = k.U32Or("n_group", 1, "expert groups", 1);
    m.topk_groups = k.U32Or("topk_group", 1, "groups kept per token", 1);
    if (m.num_experts % m.num_groups != 0)
      k.Bad("n_group", *k.Get("n_group"),
            "expected a divisor of n_routed_experts (" + std::to_string(m.num_experts) + ")");
    if (m.topk_groups > m.num_groups)
      k.Bad("topk_group", *k.Get("topk_group"), "expected <= n_group (" + std::to_string(m.num_groups) + ")");
  } else {
    const std::string scoring = k.StringOr("scoring_func", "softmax", "the router's scores");
    if (scoring != "softmax") k.Bad("scoring_func", *k.Get("scoring_func"), "expected \"softmax\" for deepseek_v2");
    const std::string method = k.StringOr("topk_method", "greedy", "the router's top-k method");
    if (method != "greedy")
      k.Bad("topk_method", *k.Get("topk_method"),
            "expected \"greedy\" (group-limited softmax routing is not modelled)");
    m.router = SoftmaxRule(norm);
  }
}

// Granite MoE (IBM Granite 3.x MoE): GraniteMoeTopKGating takes the top-k router logits and
// softmaxes over those k (TOPK_SOFTMAX); every layer is MoE, experts of width intermediate_size.
void ReadGraniteMoe(const Keys& k, HfModel& m) {
  m.num_hidden_layers = k.U32("num_hidden_layers", "decoder layers");
  m.d_model = k.U32("hidden_size", "hidden size");
  m.expert_width = k.U32("intermediate_size", "per-expert FFN width");
  m.num_experts = k.U32("num_local_experts", "routed experts per layer");
  m.top_k = k.U32("num_experts_per_tok", "experts per token");
  m.router = pb::TOPK_SOFTMAX;
  ReadAttention(k, m);
}

void ReadGptOss(const Keys& k, HfModel& m) {
  m.num_hidden_layers = k.U32("num_hidden_layers", "decoder layers");
  m.d_model = k.U32("hidden_size", "hidden size");
  m.expert_width = k.U32("intermediate_size", "per-expert FFN width");
  m.num_experts = k.U32("num_local_experts", "routed experts per layer");
  m.top_k = k.Has("num_experts_per_tok") ? k.U32("num_experts_per_tok", "experts per token")
                                         : k.U32("experts_per_token", "experts per token");
  ReadAttention(k, m);
  const double limit = k.NumberOr("swiglu_limit", 7.0, "clamp of the SwiGLU");
  if (limit != 7.0) k.Bad("swiglu_limit", *k.Get("swiglu_limit"), "expected 7.0 (the clamp SWIGLU_CLAMPED implements)");
  m.router = pb::TOPK_SOFTMAX;
  m.activation = pb::SWIGLU_CLAMPED;
  m.weight_format = pb::MXFP4;  // the experts ship as MXFP4 blocks
}

void ReadLlama4Text(const Keys& k, HfModel& m) {
  m.num_hidden_layers = k.U32("num_hidden_layers", "decoder layers");
  m.d_model = k.U32("hidden_size", "hidden size");
  m.expert_width = k.U32("intermediate_size", "per-expert (and shared-expert) FFN width");
  m.num_experts = k.U32("num_local_experts", "routed experts per layer");
  m.top_k = k.U32("num_experts_per_tok", "experts per token");
  if (m.top_k != 1)
    k.Bad("num_experts_per_tok", *k.Get("num_experts_per_tok"),
          "expected 1 (TOP1_SIGMOID_INPUT routes each token to one expert)");
  // MoE layers: moe_layers when listed, else every interleave_moe_layer_step-th layer
  // (indices step-1, 2*step-1, ...), as Llama4TextConfig computes them.
  std::set<uint32_t> moe =
      k.Has("moe_layers") ? k.LayerList("moe_layers", m.num_hidden_layers, "") : std::set<uint32_t>{};
  if (!k.Has("moe_layers")) {
    const uint32_t step = k.U32Or("interleave_moe_layer_step", 1, "MoE layer every N layers", 1);
    for (uint32_t i = step - 1; i < m.num_hidden_layers; i += step) moe.insert(i);
  }
  m.num_dense_layers = m.num_hidden_layers - static_cast<uint32_t>(moe.size());
  if (m.num_dense_layers > 0) m.dense_ffn_width = k.U32("intermediate_size_mlp", "dense FFN width");
  m.num_shared_experts = 1;  // Llama4TextMoe always adds one shared expert
  m.router = pb::TOP1_SIGMOID_INPUT;
  ReadAttention(k, m);
}

HfModel ReadHf(const std::string& path, const Value& root, std::vector<std::string>* notes) {
  if (root.kind != Kind::kObject)
    throw ConfigError(path + ":" + std::to_string(root.line) + ":" + std::to_string(root.column) +
                      ": expected a JSON object at the top (a Hugging Face config.json), found " +
                      json::KindName(root.kind));
  const Keys top(path, root, "", notes);
  HfModel m;
  const Value* type = top.Get("model_type");
  if (!type) top.Missing("model_type", std::string("expected one of ") + kKnownTypes);
  if (type->kind != Kind::kString)
    top.Bad("model_type", *type, std::string("expected a string, one of ") + kKnownTypes);
  const std::string& t = type->text;
  if (t == "mixtral") {
    ReadMixtralLike(top, m, "num_local_experts", "intermediate_size", true);
  } else if (t == "granitemoe") {
    ReadGraniteMoe(top, m);
  } else if (t == "qwen2_moe") {
    ReadQwenMoe(top, m, false);
    ReadQwenSharedExpert(top, m);
  } else if (t == "qwen3_moe") {
    ReadQwenMoe(top, m, true);
  } else if (t == "qwen3_next") {
    ReadQwenMoe(top, m, true);
    ReadQwenSharedExpert(top, m);
    top.NoteText("qwen3_next: its linear-attention (Gated DeltaNet) layers are timed as full attention");
  } else if (t == "glm4_moe") {
    ReadDeepseek(top, m, true, true);
  } else if (t == "olmoe") {
    ReadMixtralLike(top, m, "num_experts", "intermediate_size", false);
  } else if (t == "dbrx") {
    ReadDbrx(top, m);
  } else if (t == "deepseek_v2") {
    ReadDeepseek(top, m, false);
  } else if (t == "deepseek_v3" || t == "kimi_k2") {
    ReadDeepseek(top, m, true);
  } else if (t == "gpt_oss") {
    ReadGptOss(top, m);
  } else if (t == "llama4") {
    ReadLlama4Text(top.Object("text_config", "the language model of a Llama 4 config"), m);
  } else if (t == "llama4_text") {
    ReadLlama4Text(top, m);
  } else {
    top.Bad("model_type", *type, std::string("expected one of ") + kKnownTypes + " (an MoE family moefab models)");
  }
  if (m.num_dense_layers >= m.num_hidden_layers)
    throw ConfigError(path + ": num_hidden_layers=" + std::to_string(m.num_hidden_layers) + ": all " +
                      std::to_string(m.num_dense_layers) + " layers are dense; expected at least one MoE layer");
  if (m.top_k > m.num_experts)
    throw ConfigError(path + ": num_experts_per_tok=" + std::to_string(m.top_k) +
                      ": expected <= the routed experts per layer (" + std::to_string(m.num_experts) + ")");
  m.name = top.StringOr("_name_or_path", "", "");
  if (m.name.empty()) m.name = std::filesystem::path(path).stem().string();
  return m;
}

}  // namespace

void ApplyHfConfig(const std::string& path, pb::Model& model, std::vector<std::string>* notes) {
  const Value root = json::ParseFile(path);
  const HfModel hf = ReadHf(path, root, notes);
  if (model.name().empty()) model.set_name(hf.name);
  if (model.num_layers() == 0) model.set_num_layers(hf.num_hidden_layers - hf.num_dense_layers);
  if (model.d_model() == 0) model.set_d_model(hf.d_model);
  if (model.expert_width() == 0) model.set_expert_width(hf.expert_width);
  if (model.num_experts() == 0) model.set_num_experts(hf.num_experts);
  if (model.top_k() == 0) model.set_top_k(hf.top_k);
  if (model.router() == pb::ROUTER_RULE_UNSPECIFIED) model.set_router(hf.router);
  if (model.weight_format() == pb::WEIGHT_FORMAT_UNSPECIFIED) model.set_weight_format(hf.weight_format);
  if (model.activation() == pb::ACTIVATION_UNSPECIFIED) model.set_activation(hf.activation);
  // Fields with a schema default are optional (presence): the config's own value wins, and
  // what the family does not have (0 here) is left for the default.
  if (!model.has_num_groups() && hf.num_groups != 0) model.set_num_groups(hf.num_groups);
  if (!model.has_topk_groups() && hf.topk_groups != 0) model.set_topk_groups(hf.topk_groups);
  if (!model.has_routed_scaling() && hf.routed_scaling != 0) model.set_routed_scaling(hf.routed_scaling);
  if (model.num_shared_experts() == 0) model.set_num_shared_experts(hf.num_shared_experts);
  if (model.num_dense_layers() == 0) model.set_num_dense_layers(hf.num_dense_layers);
  if (model.dense_ffn_width() == 0) model.set_dense_ffn_width(hf.dense_ffn_width);
  if (model.num_heads() == 0) model.set_num_heads(hf.num_heads);
  if (model.num_kv_heads() == 0) model.set_num_kv_heads(hf.num_kv_heads);
  if (!model.has_head_dim() && hf.head_dim != 0) model.set_head_dim(hf.head_dim);
  if (model.kv_bytes_per_token_layer() == 0) model.set_kv_bytes_per_token_layer(hf.kv_bytes_per_token_layer);
  if (model.kv_lora_rank() == 0 && hf.kv_lora_rank != 0) {  // MLA: the four together
    model.set_kv_lora_rank(hf.kv_lora_rank);
    if (model.q_lora_rank() == 0) model.set_q_lora_rank(hf.q_lora_rank);
    if (model.qk_rope_head_dim() == 0) model.set_qk_rope_head_dim(hf.qk_rope_head_dim);
    if (model.v_head_dim() == 0) model.set_v_head_dim(hf.v_head_dim);
  }
}

}  // namespace moefab
