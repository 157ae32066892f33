#include "core/json_reader.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace moefab::json {

Value::Value() = default;
Value::Value(const Value&) = default;
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value&) = default;
Value& Value::operator=(Value&&) noexcept = default;
Value::~Value() = default;

namespace {

constexpr int kMaxDepth = 256;  // nesting limit (objects and arrays)

// Recursive-descent parser over the whole text; tracks line and column of the cursor.
class Parser {
 public:
  Parser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  Value ParseDocument() {
    SkipSpace();
    Value v = ParseValue(0);
    SkipSpace();
    if (pos_ < s_.size()) Fail("unexpected " + Shown() + " after the top-level value; expected the end of the file");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string& message) const { FailAt(line_, col_, message); }
  [[noreturn]] void FailAt(uint32_t line, uint32_t col, const std::string& message) const {
    throw ConfigError(name_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message);
  }

  // The character at the cursor, quoted for messages ("end of file" at the end).
  std::string Shown() const {
    if (pos_ >= s_.size()) return "end of file";
    const auto c = static_cast<unsigned char>(s_[pos_]);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", c);
      return std::string("byte ") + buf;
    }
    return std::string("'") + static_cast<char>(c) + "'";
  }

  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void Advance() {
    if (s_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) Advance();
  }
  void Expect(char c, const char* what) {
    if (Peek() != c) Fail("expected " + std::string(what) + ", found " + Shown());
    Advance();
  }

  Value ParseValue(int depth) {
    Value v;
    v.line = line_;
    v.column = col_;
    const char c = Peek();
    if (c == '{') {
      ParseObject(v, depth + 1);
    } else if (c == '[') {
      ParseArray(v, depth + 1);
    } else if (c == '"') {
      v.kind = Kind::kString;
      v.text = ParseString();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      ParseNumber(v);
    } else if (c >= 'a' && c <= 'z') {
      ParseLiteral(v);
    } else {
      Fail("expected a value (object, array, string, number, true, false or null), found " + Shown());
    }
    return v;
  }

  void ParseObject(Value& v, int depth) {
    if (depth > kMaxDepth) Fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    v.kind = Kind::kObject;
    Advance();  // {
    SkipSpace();
    if (Peek() == '}') {
      Advance();
      return;
    }
    std::set<std::string> keys;
    for (;;) {
      SkipSpace();
      if (Peek() != '"') Fail("expected a member name in double quotes, found " + Shown());
      const uint32_t kl = line_, kc = col_;
      std::string key = ParseString();
      if (!keys.insert(key).second) FailAt(kl, kc, "duplicate key \"" + key + "\" in this object");
      SkipSpace();
      Expect(':', "':' after the member name");
      SkipSpace();
      Value member = ParseValue(depth);
      v.members.emplace_back(std::move(key), std::move(member));
      SkipSpace();
      if (Peek() == ',') {
        Advance();
        SkipSpace();
        if (Peek() == '}') Fail("trailing comma before '}' (not allowed in JSON)");
        continue;
      }
      if (Peek() == '}') {
        Advance();
        return;
      }
      Fail("expected ',' or '}' in an object, found " + Shown());
    }
  }

  void ParseArray(Value& v, int depth) {
    if (depth > kMaxDepth) Fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    v.kind = Kind::kArray;
    Advance();  // [
    SkipSpace();
    if (Peek() == ']') {
      Advance();
      return;
    }
    for (;;) {
      SkipSpace();
      v.items.push_back(ParseValue(depth));
      SkipSpace();
      if (Peek() == ',') {
        Advance();
        SkipSpace();
        if (Peek() == ']') Fail("trailing comma before ']' (not allowed in JSON)");
        continue;
      }
      if (Peek() == ']') {
        Advance();
        return;
      }
      Fail("expected ',' or ']' in an array, found " + Shown());
    }
  }

  uint32_t Hex4() {
    uint32_t u = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = Peek();
      uint32_t d = 0;
      if (c >= '0' && c <= '9')
        d = static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        d = static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        d = static_cast<uint32_t>(c - 'A' + 10);
      else
        Fail("expected 4 hex digits after \\u, found " + Shown());
      u = u * 16 + d;
      Advance();
    }
    return u;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string ParseString() {
    const uint32_t sl = line_, sc = col_;
    Advance();  // "
    std::string out;
    for (;;) {
      if (AtEnd()) FailAt(sl, sc, "string not closed (no '\"' before the end of the file)");
      const char c = Peek();
      if (c == '"') {
        Advance();
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        Fail("control character " + Shown() + " inside a string (write it as an escape)");
      if (c != '\\') {
        out += c;
        Advance();
        continue;
      }
      const uint32_t el = line_, ec = col_;  // the escape's backslash, for messages
      Advance();
      const char e = Peek();
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          Advance();
          uint32_t cp = Hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (Peek() != '\\') FailAt(el, ec, "expected a \\u low surrogate after this high surrogate");
            Advance();
            if (Peek() != 'u') FailAt(el, ec, "expected a \\u low surrogate after this high surrogate");
            Advance();
            const uint32_t lo = Hex4();
            if (lo < 0xDC00 || lo > 0xDFFF)
              FailAt(el, ec, "expected a low surrogate (DC00..DFFF) after this high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            FailAt(el, ec, "unpaired low surrogate in a \\u escape");
          }
          AppendUtf8(out, cp);
          continue;  // Hex4 already advanced
        }
        default:
          Fail("unknown escape \\" + (AtEnd() ? std::string("at end of file") : std::string(1, e)) +
               " (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
      Advance();
    }
  }

  void ParseNumber(Value& v) {
    const size_t start = pos_;
    auto digits = [&] {
      if (!(Peek() >= '0' && Peek() <= '9')) Fail("expected a digit in a number, found " + Shown());
      while (Peek() >= '0' && Peek() <= '9') Advance();
    };
    if (Peek() == '-') Advance();
    if (Peek() == '0') {
      Advance();
      if (Peek() >= '0' && Peek() <= '9') Fail("leading zero in a number (not allowed in JSON)");
    } else {
      digits();
    }
    if (Peek() == '.') {
      Advance();
      digits();
    }
    if (Peek() == 'e' || Peek() == 'E') {
      Advance();
      if (Peek() == '+' || Peek() == '-') Advance();
      digits();
    }
    v.kind = Kind::kNumber;
    v.text = s_.substr(start, pos_ - start);
    const auto res = std::from_chars(v.text.data(), v.text.data() + v.text.size(), v.number);
    if (res.ec != std::errc() || !std::isfinite(v.number))
      FailAt(v.line, v.column, "number " + v.text + " is out of the range of a double");
  }

  void ParseLiteral(Value& v) {
    size_t end = pos_;
    while (end < s_.size() && s_[end] >= 'a' && s_[end] <= 'z') ++end;
    const std::string word = s_.substr(pos_, end - pos_);
    if (word == "true" || word == "false") {
      v.kind = Kind::kBool;
      v.boolean = word == "true";
    } else if (word == "null") {
      v.kind = Kind::kNull;
    } else {
      Fail("unknown literal '" + word + "' (expected true, false or null)");
    }
    while (pos_ < end) Advance();
  }

  const std::string& s_;
  const std::string& name_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

}  // namespace

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "?";
}

const Value* Value::Find(const std::string& key) const {
  if (kind != Kind::kObject) return nullptr;
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

bool Value::IsUint64() const {
  if (kind != Kind::kNumber || text.empty() || text[0] == '-') return false;
  if (text.find_first_of(".eE") != std::string::npos) return false;
  uint64_t u = 0;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), u);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

uint64_t Value::AsUint64() const {
  uint64_t u = 0;
  std::from_chars(text.data(), text.data() + text.size(), u);
  return u;
}

std::string Value::Where() const {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Value Parse(const std::string& text, const std::string& name) {
  Parser p(text, name);
  return p.ParseDocument();
}

Value ParseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the JSON file (does it exist and is it readable?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": read error");
  return Parse(ss.str(), path);
}

}  // namespace moefab::json
