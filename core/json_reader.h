// A small, strict JSON reader (RFC 8259) for the input files moefab reads (Hugging Face
// config.json). Objects, arrays, strings with every escape (\uXXXX with surrogate pairs, to
// UTF-8), numbers, true, false, null. Strict: no comments, no trailing commas, no NaN or
// Infinity, no control characters inside strings, no duplicate keys, nothing after the
// top-level value, nesting at most 256 deep. Every error is a ConfigError
// "NAME:LINE:COLUMN: message" (1-based; columns count bytes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace moefab::json {

enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

/// The name of a kind for messages: "null", "a boolean", "a number", ...
const char* KindName(Kind kind);

/// One parsed value. Numbers keep their source text so integers convert exactly.
class Value {
 public:
  Kind kind = Kind::kNull;
  bool boolean = false;                                // kBool
  double number = 0;                                   // kNumber, nearest double
  std::string text;                                    // kNumber: the literal as written; kString: the decoded UTF-8
  std::vector<Value> items;                            // kArray
  std::vector<std::pair<std::string, Value>> members;  // kObject, in file order, keys unique
  uint32_t line = 0, column = 0;                       // where the value starts (1-based)

  // Defined in json_reader.cc, where Value is complete: clang with libstdc++ 12 cannot
  // instantiate them for the self-referencing members inside the class.
  Value();
  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;
  ~Value();

  bool is_null() const { return kind == Kind::kNull; }
  /// The member `key` of an object, or nullptr (also when this is not an object).
  const Value* Find(const std::string& key) const;
  /// True for a number written without fraction or exponent that fits in uint64.
  bool IsUint64() const;
  /// The number as uint64; only valid when IsUint64().
  uint64_t AsUint64() const;
  /// "line L, column C" for messages.
  std::string Where() const;
};

/// Parses `text`; `name` stands for the file in messages. Throws ConfigError.
Value Parse(const std::string& text, const std::string& name);

/// Reads and parses the file at `path`. Throws ConfigError (also when it cannot be read).
Value ParseFile(const std::string& path);

}  // namespace moefab::json
