// safetensors reader / writer with a small JSON parser for the header, and the expert loaders
// (see safetensors.h).
#include "chips/numerics/safetensors.h"
#include "chips/numerics/safetensors_internal.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "core/json_reader.h"

namespace moefab::chips {

namespace detail {

std::string ShapeText(const std::vector<std::uint64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

[[noreturn]] void FailTensor(const std::string& file, const std::string& tensor, const std::string& problem) {
  throw ConfigError(file + ": tensor '" + Printable(tensor) + "': " + problem);
}

}  // namespace detail

namespace {

using detail::FailTensor;
using detail::ShapeText;

constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;  // as the reference implementation
constexpr int kMaxJsonDepth = 64;

struct DtypeEntry {
  SafetensorsDtype dtype;  // enum value
  const char* name;        // header spelling
  std::size_t bytes;       // per element
};
constexpr DtypeEntry kDtypes[] = {
    {SafetensorsDtype::kF64, "F64", 8},        {SafetensorsDtype::kF32, "F32", 4},
    {SafetensorsDtype::kF16, "F16", 2},        {SafetensorsDtype::kBF16, "BF16", 2},
    {SafetensorsDtype::kI64, "I64", 8},        {SafetensorsDtype::kI32, "I32", 4},
    {SafetensorsDtype::kI16, "I16", 2},        {SafetensorsDtype::kI8, "I8", 1},
    {SafetensorsDtype::kU64, "U64", 8},        {SafetensorsDtype::kU32, "U32", 4},
    {SafetensorsDtype::kU16, "U16", 2},        {SafetensorsDtype::kU8, "U8", 1},
    {SafetensorsDtype::kBool, "BOOL", 1},      {SafetensorsDtype::kF8E4M3, "F8_E4M3", 1},
    {SafetensorsDtype::kF8E5M2, "F8_E5M2", 1},
};

using Json = json::Value;

void JsonEscape(std::ostringstream& os, const std::string& s) {
  os << '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      os << '\\' << c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* kHex = "0123456789abcdef";
      os << "\\u00" << kHex[(c >> 4) & 0xF] << kHex[c & 0xF];
    } else {
      os << c;
    }
  }
  os << '"';
}

// A non-negative JSON integer that fits uint64, or nullopt-like failure via ok = false.
bool ParseU64(const Json& v, std::uint64_t& out) {
  if (v.kind != json::Kind::kNumber || v.text.empty()) return false;
  std::uint64_t r = 0;
  for (const char c : v.text) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (r > (UINT64_MAX - d) / 10) return false;
    r = r * 10 + d;
  }
  out = r;
  return true;
}

std::uint64_t FileSize(std::ifstream& in) {
  in.seekg(0, std::ios::end);
  return static_cast<std::uint64_t>(in.tellg());
}

std::uint16_t Le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

}  // namespace

const char* SafetensorsDtypeName(SafetensorsDtype d) {
  for (const auto& e : kDtypes) {
    if (e.dtype == d) return e.name;
  }
  return "?";
}

std::size_t SafetensorsDtypeBytes(SafetensorsDtype d) {
  for (const auto& e : kDtypes) {
    if (e.dtype == d) return e.bytes;
  }
  return 0;
}

std::uint64_t TensorInfo::elements() const {
  std::uint64_t n = 1;
  for (const std::uint64_t s : shape) n *= s;
  return n;
}

float Bf16ToFloat(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t FloatToBf16(float v) {
  const auto bits = std::bit_cast<std::uint32_t>(v);
  if (std::isnan(v)) return static_cast<std::uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  const std::uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

float F16ToFloat(std::uint16_t bits) {
  const std::uint32_t sign = (bits >> 15) & 1;
  const int exp = (bits >> 10) & 0x1F;
  const std::uint32_t mant = bits & 0x3FF;
  float v = 0;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
  }
  return sign ? -v : v;
}

namespace {
// No two tensors share a byte of the data section (as the reference implementation requires).
void CheckDisjoint(const std::string& path, const std::vector<TensorInfo>& tensors) {
  std::vector<const TensorInfo*> by_begin;
  for (const auto& t : tensors)
    if (t.data_end > t.data_begin) by_begin.push_back(&t);
  std::sort(by_begin.begin(), by_begin.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->data_begin < b->data_begin; });
  for (std::size_t i = 1; i < by_begin.size(); ++i)
    if (by_begin[i]->data_begin < by_begin[i - 1]->data_end)
      FailTensor(path, by_begin[i]->name,
                 "data_offsets [" + std::to_string(by_begin[i]->data_begin) + ", " +
                     std::to_string(by_begin[i]->data_end) + "] overlap those of tensor '" +
                     Printable(by_begin[i - 1]->name) + "' [" + std::to_string(by_begin[i - 1]->data_begin) + ", " +
                     std::to_string(by_begin[i - 1]->data_end) + "]: expected disjoint tensors");
}
}  // namespace

SafetensorsFile SafetensorsFile::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the safetensors file");
  const std::uint64_t size = FileSize(in);
  if (size < 8) {
    throw ConfigError(path + ": file too short (" + std::to_string(size) +
                      " bytes): expected at least 8 bytes of header length");
  }
  in.seekg(0);
  std::uint8_t len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeaderBytes || header_len > size - 8) {
    throw ConfigError(path + ": header length " + std::to_string(header_len) + " goes beyond the file (" +
                      std::to_string(size) + " bytes)");
  }
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) throw ConfigError(path + ": cannot read the header");

  SafetensorsFile f;
  f.path_ = path;
  f.data_start_ = 8 + header_len;
  const std::uint64_t data_size = size - f.data_start_;
  // The shared strict reader; its messages say where ("...: header: bad JSON: L:C: ...").
  Json root;
  try {
    root = json::Parse(header, "header");
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": header: bad JSON: " + e.what());
  }
  if (root.kind != json::Kind::kObject) {
    throw ConfigError(path + ": header: bad JSON: expected an object at the top level");
  }
  for (const auto& [name, v] : root.members) {
    if (name == "__metadata__") {
      if (v.kind != json::Kind::kObject) {
        throw ConfigError(path + ": header: __metadata__: expected an object of strings");
      }
      for (const auto& [k, mv] : v.members) {
        if (mv.kind != json::Kind::kString) {
          throw ConfigError(path + ": header: __metadata__." + Printable(k) + ": expected a string");
        }
        f.metadata_.emplace_back(k, mv.text);
      }
      continue;
    }
    if (!IsUtf8(name)) FailTensor(path, name, "name is not valid UTF-8");
    if (v.kind != json::Kind::kObject) FailTensor(path, name, "header entry is not an object");
    const Json* dtype = nullptr;
    const Json* shape = nullptr;
    const Json* offsets = nullptr;
    for (const auto& [k, mv] : v.members) {
      if (k == "dtype") dtype = &mv;
      if (k == "shape") shape = &mv;
      if (k == "data_offsets") offsets = &mv;
    }
    if (dtype == nullptr || shape == nullptr || offsets == nullptr) {
      FailTensor(path, name, "header entry needs dtype, shape and data_offsets");
    }
    TensorInfo t;
    t.name = name;
    bool known = false;
    for (const auto& e : kDtypes) {
      if (dtype->kind == json::Kind::kString && dtype->text == e.name) {
        t.dtype = e.dtype;
        known = true;
      }
    }
    if (!known) {
      FailTensor(path, name,
                 "unknown dtype '" + Printable(dtype->text) +
                     "': expected F64, F32, F16, BF16, I64..I8, U64..U8, BOOL, F8_E4M3 or F8_E5M2");
    }
    if (shape->kind != json::Kind::kArray) FailTensor(path, name, "shape is not an array");
    for (const Json& d : shape->items) {
      std::uint64_t n = 0;
      if (!ParseU64(d, n)) FailTensor(path, name, "shape entry '" + Printable(d.text) + "' is not an integer >= 0");
      t.shape.push_back(n);
    }
    if (offsets->kind != json::Kind::kArray || offsets->items.size() != 2 ||
        !ParseU64(offsets->items[0], t.data_begin) || !ParseU64(offsets->items[1], t.data_end) ||
        t.data_begin > t.data_end) {
      FailTensor(path, name, "data_offsets: expected [begin, end] with 0 <= begin <= end");
    }
    if (t.data_end > data_size) {
      FailTensor(path, name,
                 "data_offsets [" + std::to_string(t.data_begin) + ", " + std::to_string(t.data_end) +
                     "] outside the data section (" + std::to_string(data_size) + " bytes)");
    }
    // elements * bytes, guarding overflow.
    std::uint64_t bytes = SafetensorsDtypeBytes(t.dtype);
    bool overflow = false;
    for (const std::uint64_t s : t.shape) {
      if (s != 0 && bytes > UINT64_MAX / s) overflow = true;
      bytes *= s;
    }
    if (overflow || bytes != t.data_end - t.data_begin) {
      FailTensor(path, name,
                 "shape " + ShapeText(t.shape) + " of " + SafetensorsDtypeName(t.dtype) + " needs " +
                     (overflow ? std::string("too many") : std::to_string(bytes)) + " bytes, data_offsets give " +
                     std::to_string(t.data_end - t.data_begin));
    }
    f.tensors_.push_back(std::move(t));
  }
  CheckDisjoint(path, f.tensors_);
  return f;
}

const TensorInfo* SafetensorsFile::Find(const std::string& name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TensorInfo& SafetensorsFile::Get(const std::string& name) const {
  const TensorInfo* t = Find(name);
  if (t == nullptr) FailTensor(path_, name, "missing from the file");
  return *t;
}

std::vector<std::uint8_t> SafetensorsFile::ReadBytes(const std::string& name, std::uint64_t offset,
                                                     std::uint64_t count) const {
  const TensorInfo& t = Get(name);
  const std::uint64_t n = t.data_end - t.data_begin;
  if (offset > n || count > n - offset) {
    FailTensor(path_, name,
               "read of " + std::to_string(count) + " bytes at " + std::to_string(offset) + " beyond its " +
                   std::to_string(n) + " bytes");
  }
  std::vector<std::uint8_t> out(count);
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(data_start_ + t.data_begin + offset));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count));
  if (!in) FailTensor(path_, name, "cannot read its data (file changed or truncated?)");
  return out;
}

std::vector<float> SafetensorsFile::ReadFloat(const std::string& name) const {
  const TensorInfo& t = Get(name);
  const std::vector<std::uint8_t> raw = ReadBytes(name, 0, t.data_end - t.data_begin);
  const std::size_t n = t.elements();
  std::vector<float> out(n);
  switch (t.dtype) {
    case SafetensorsDtype::kF32:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t b = 0;
        for (int k = 3; k >= 0; --k) b = (b << 8) | raw[4 * i + static_cast<std::size_t>(k)];
        out[i] = std::bit_cast<float>(b);
      }
      break;
    case SafetensorsDtype::kF64:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t b = 0;
        for (int k = 7; k >= 0; --k) b = (b << 8) | raw[8 * i + static_cast<std::size_t>(k)];
        out[i] = static_cast<float>(std::bit_cast<double>(b));
      }
      break;
    case SafetensorsDtype::kBF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = Bf16ToFloat(Le16(&raw[2 * i]));
      break;
    case SafetensorsDtype::kF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = F16ToFloat(Le16(&raw[2 * i]));
      break;
    default:
      FailTensor(
          path_, name,
          std::string("dtype ") + SafetensorsDtypeName(t.dtype) + ": expected F32, F16, BF16 or F64 for float weights");
  }
  return out;
}

std::vector<std::uint8_t> SafetensorsFile::ReadU8(const std::string& name) const {
  const TensorInfo& t = Get(name);
  if (t.dtype != SafetensorsDtype::kU8) {
    FailTensor(path_, name, std::string("dtype ") + SafetensorsDtypeName(t.dtype) + ": expected U8");
  }
  return ReadBytes(name, 0, t.data_end - t.data_begin);
}

void SafetensorsFile::CheckShape(const TensorInfo& t, const std::vector<std::uint64_t>& expected,
                                 const std::string& meaning) const {
  if (t.shape != expected) {
    FailTensor(
        path_, t.name,
        "shape " + ShapeText(t.shape) + ": expected " + ShapeText(expected) + " (" + meaning + ") for the model");
  }
}

TensorToWrite F32Tensor(std::string name, std::vector<std::uint64_t> shape, std::span<const float> values) {
  TensorToWrite t{std::move(name), SafetensorsDtype::kF32, std::move(shape), {}};
  t.bytes.resize(values.size() * 4);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto b = std::bit_cast<std::uint32_t>(values[i]);
    for (int k = 0; k < 4; ++k) t.bytes[4 * i + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(b >> (8 * k));
  }
  return t;
}

TensorToWrite BF16Tensor(std::string name, std::vector<std::uint64_t> shape, std::span<const float> values) {
  TensorToWrite t{std::move(name), SafetensorsDtype::kBF16, std::move(shape), {}};
  t.bytes.resize(values.size() * 2);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint16_t b = FloatToBf16(values[i]);
    t.bytes[2 * i] = static_cast<std::uint8_t>(b);
    t.bytes[2 * i + 1] = static_cast<std::uint8_t>(b >> 8);
  }
  return t;
}

TensorToWrite U8Tensor(std::string name, std::vector<std::uint64_t> shape, std::span<const std::uint8_t> values) {
  return TensorToWrite{std::move(name), SafetensorsDtype::kU8, std::move(shape),
                       std::vector<std::uint8_t>(values.begin(), values.end())};
}

void WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::ostringstream h;
  h << '{';
  bool first = true;
  if (!metadata.empty()) {
    h << "\"__metadata__\":{";
    for (std::size_t i = 0; i < metadata.size(); ++i) {
      if (i) h << ',';
      JsonEscape(h, metadata[i].first);
      h << ':';
      JsonEscape(h, metadata[i].second);
    }
    h << '}';
    first = false;
  }
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    std::uint64_t n = SafetensorsDtypeBytes(t.dtype);
    for (const std::uint64_t s : t.shape) n *= s;
    if (n != t.bytes.size()) {
      FailTensor(path, t.name,
                 "cannot write: shape " + ShapeText(t.shape) + " needs " + std::to_string(n) + " bytes, got " +
                     std::to_string(t.bytes.size()));
    }
    if (!first) h << ',';
    first = false;
    JsonEscape(h, t.name);
    h << ":{\"dtype\":\"" << SafetensorsDtypeName(t.dtype) << "\",\"shape\":" << '[';
    for (std::size_t i = 0; i < t.shape.size(); ++i) h << (i ? "," : "") << t.shape[i];
    h << "],\"data_offsets\":[" << offset << ',' << offset + n << "]}";
    offset += n;
  }
  h << '}';
  std::string header = h.str();
  while (header.size() % 8 != 0) header += ' ';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw ConfigError(path + ": cannot create the safetensors file");
  std::uint8_t len[8];
  for (int k = 0; k < 8; ++k) len[k] = static_cast<std::uint8_t>(std::uint64_t{header.size()} >> (8 * k));
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& t : tensors) {
    out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
  }
  if (!out) throw ConfigError(path + ": write failed");
}

FloatExpert LoadFloatExpert(const SafetensorsFile& file, const FloatExpertTensors& names, ExpertShape shape) {
  const std::uint64_t d = shape.d_model;
  const std::uint64_t w = shape.width;
  const auto load = [&](const std::string& name, std::vector<std::uint64_t> expected, const char* meaning) {
    if (name.empty()) return std::vector<float>();
    file.CheckShape(file.Get(name), expected, meaning);
    std::vector<float> v = file.ReadFloat(name);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) {
        FailTensor(file.path(), name, "element " + std::to_string(i) + " is not finite");
      }
    }
    return v;
  };
  if (names.w_gate.empty() || names.w_up.empty() || names.w_down.empty()) {
    throw ConfigError(file.path() + ": LoadFloatExpert: the gate, up and down weight names are required");
  }
  FloatExpert f;
  f.w_gate = load(names.w_gate, {w, d}, "width x d_model");
  f.w_up = load(names.w_up, {w, d}, "width x d_model");
  f.w_down = load(names.w_down, {d, w}, "d_model x width");
  f.b_gate = load(names.b_gate, {w}, "width");
  f.b_up = load(names.b_up, {w}, "width");
  f.b_down = load(names.b_down, {d}, "d_model");
  return f;
}

ExpertWeights LoadQuantizedExpert(const SafetensorsFile& file, const FloatExpertTensors& names, ExpertShape shape,
                                  WeightFormat format, Activation act, const CalibrationOptions& opt) {
  return QuantizeExpert(LoadFloatExpert(file, names, shape), shape, format, act, opt,
                        file.path() + ": expert " + names.w_gate);
}

}  // namespace moefab::chips
