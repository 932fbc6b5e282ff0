// Scenario and profile-library loading: text parsing with located errors, simulated
// time strings, the built-in library, and the load_* entry points. The semantic
// checks live in loader_profiles.cpp and loader_scenario.cpp.
#include "scenarios/loader.h"

#include <fmt/format.h>
#include <google/protobuf/io/tokenizer.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "scenarios/loader_internal.h"
#include "scenarios/utf8.h"

namespace iovsim::scen {

namespace gp = google::protobuf;

namespace {

std::string format_error(const std::string& file, int line, int col, const std::string& message) {
  // A file that cannot be read has no position in it.
  if (line <= 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, col, message);
}

// Keeps the first error protobuf reports (later ones are usually consequences),
// converted to 1-based positions.
class first_error_collector : public gp::io::ErrorCollector {
 public:
  void AddError(int line, gp::io::ColumnNumber column, const std::string& message) override {
    if (m_has_error) return;
    m_has_error = true;
    m_line = line + 1;
    m_col = column + 1;
    m_message = message;
  }
  void AddWarning(int, gp::io::ColumnNumber, const std::string&) override {}

  bool has_error() const { return m_has_error; }
  int line() const { return m_line; }
  int col() const { return m_col; }
  const std::string& message() const { return m_message; }

 private:
  bool m_has_error = false;
  int m_line = 0;
  int m_col = 0;
  std::string m_message;
};

// `s` is `prefix` X `suffix`: X out. `quote_free`: X is not empty and holds no '"'
// (the [^"]+ of the rules below), else anything (.*).
bool split1(const std::string& s, const std::string& prefix, const std::string& suffix, bool quote_free,
            std::string& x) {
  if (s.size() < prefix.size() + suffix.size() || s.compare(0, prefix.size(), prefix) != 0 ||
      s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  x = s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
  return !quote_free || (!x.empty() && x.find('"') == std::string::npos);
}

// `s` is `prefix` X `middle` Y `suffix`: X and Y out, X as long as it can be (a greedy
// .*) unless `quote_free`, where neither holds '"' nor is empty.
bool split2(const std::string& s, const std::string& prefix, const std::string& middle, const std::string& suffix,
            bool quote_free, std::string& x, std::string& y) {
  std::string body;
  if (!split1(s, prefix, suffix, false, body)) return false;
  const size_t at = quote_free ? body.find(middle) : body.rfind(middle);
  if (at == std::string::npos) return false;
  x = body.substr(0, at);
  y = body.substr(at + middle.size());
  return !quote_free || (!x.empty() && !y.empty() && (x + y).find('"') == std::string::npos);
}

// protobuf's parser messages rephrased in this project's style (lower case, no
// trailing period, the most useful fact first). Unknown ones pass through. Plain string
// matching, not std::regex: the messages quote the input, and libstdc++'s regex
// recurses once per character (a long token overflowed the stack; fuzz_scenario).
std::string rephrase_parser_message(const std::string& message) {
  std::string x, y;
  if (split2(message, "Message type \"", "\" has no field named \"", "\".", true, x, y))
    return "unknown field \"" + y + "\" in " + x;
  if (split2(message, "Unknown enumeration value of \"", "\" for field \"", "\".", true, x, y))
    return "unknown value \"" + x + "\" for enum field \"" + y + "\"";
  if (split1(message, "Non-repeated field \"", "\" is specified multiple times.", true, x))
    return "field \"" + x + "\" is set more than once";
  for (const char* suffix : {"\".", "\""})
    if (split2(message, "Expected \"", "\", found \"", suffix, false, x, y)) {
      // A string token is quoted inside the quotes: found "\"text\"" (or ""text"").
      std::string inner;
      if (split1(y, "\\\"", "\\\"", false, inner) || split1(y, "\"", "\"", false, inner))
        return "expected \"" + x + "\", found \"" + inner + "\"";
      return "expected \"" + x + "\", found " + y;
    }
  if (split1(message, "Expected integer, got: ", "", false, x)) return "expected an integer, got " + x;
  if (split1(message, "Expected string, got: ", "", false, x)) return "expected a string, got " + x;
  if (message == "Expected identifier, got: ") return "unexpected end of file (a \"}\" is missing?)";
  if (split1(message, "Expected identifier, got: ", "", false, x)) return "expected a field name, got " + x;
  if (split1(message, "Integer out of range (", ")", false, x)) return "integer out of range (" + x + ")";
  if (split2(message, "Invalid value for boolean field \"", "\". Value: \"", "\".", true, x, y))
    return "invalid value \"" + y + "\" for boolean field \"" + x + "\"";
  std::string out = message;
  if (!out.empty() && out.back() == '.') out.pop_back();
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z' && !(out.size() > 1 && out[1] >= 'A' && out[1] <= 'Z'))
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, 0, "cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw input_error(path, 0, 0, "cannot read file");
  return text.str();
}

// Picoseconds per unit, longest suffix first so "ms" is not taken for "s".
struct time_unit {
  const char* suffix;
  long long ps;
};
constexpr time_unit k_time_units[] = {
    {"ps", 1}, {"ns", 1000}, {"us", 1000000}, {"ms", 1000000000}, {"s", 1000000000000}};

}  // namespace

std::string one_line_text(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  return out;
}

input_error::input_error(const std::string& file, int line, int col, const std::string& message)
    : std::runtime_error(format_error(one_line_text(file), line, col, one_line_text(message))),
      m_file(file),
      m_line(line),
      m_col(col),
      m_message(one_line_text(message)) {}

source_location locator::at(const gp::Message& msg, const char* field, int index) const {
  const gp::FieldDescriptor* fd = msg.GetDescriptor()->FindFieldByName(field);
  if (fd == nullptr || m_tree == nullptr) return m_self;
  const int i = fd->is_repeated() ? (index < 0 ? 0 : index) : -1;
  if (fd->is_repeated() && i >= msg.GetReflection()->FieldSize(msg, fd)) return m_self;
  const gp::TextFormat::ParseLocation where = m_tree->GetLocation(fd, i);
  if (where.line < 0) return m_self;
  return source_location{where.line + 1, where.column + 1};
}

locator locator::nested(const gp::Message& msg, const char* field, int index) const {
  const source_location self = at(msg, field, index);
  const gp::FieldDescriptor* fd = msg.GetDescriptor()->FindFieldByName(field);
  const gp::TextFormat::ParseInfoTree* tree = nullptr;
  if (fd != nullptr && m_tree != nullptr) {
    const int i = fd->is_repeated() ? (index < 0 ? 0 : index) : -1;
    if (!fd->is_repeated() || i < msg.GetReflection()->FieldSize(msg, fd))
      tree = m_tree->GetTreeForNested(fd, i);
  }
  return locator(*m_file, tree, self);
}

void locator::fail(source_location loc, const std::string& message) const {
  throw input_error(*m_file, loc.line, loc.col, message);
}

namespace {

// protobuf reports some errors at the token after the offending name (an unknown
// field's ':', the token after an unknown enum value); point at the name itself: its
// last occurrence on the same line before the reported column.
int column_of_token(const std::string& text, int line, int col, const std::string& message) {
  // The name quoted after "Message type "T" has no field named", "Unknown enumeration
  // value of" or "Non-repeated field" (plain string matching, as above).
  std::string name;
  size_t from = std::string::npos;
  const std::string field_named = "\" has no field named \"";
  if (message.rfind("Message type \"", 0) == 0) {
    const size_t at = message.find(field_named);
    if (at != std::string::npos && message.find('"', 14) == at) from = at + field_named.size();
  } else if (message.rfind("Unknown enumeration value of \"", 0) == 0) {
    from = 30;
  } else if (message.rfind("Non-repeated field \"", 0) == 0) {
    from = 20;
  }
  if (from == std::string::npos || from >= message.size()) return col;
  const size_t close = message.find('"', from);
  if (close == std::string::npos || close == from) return col;
  name = message.substr(from, close - from);
  size_t start = 0;
  for (int l = 1; l < line && start != std::string::npos; ++l) {
    start = text.find('\n', start);
    if (start != std::string::npos) ++start;
  }
  if (start == std::string::npos) return col;
  const std::string before = text.substr(start, col > 1 ? col - 1 : 0);
  const size_t at = before.rfind(name);
  return at == std::string::npos ? col : static_cast<int>(at) + 1;
}

// Strings made invalid by escapes ("\xff") only show after parsing: walk every
// string field, and report one at its location.
void check_strings(const std::string& path, const gp::Message& msg, const gp::TextFormat::ParseInfoTree* tree) {
  const gp::Reflection* r = msg.GetReflection();
  std::vector<const gp::FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const gp::FieldDescriptor* f : fields) {
    const int n = f->is_repeated() ? r->FieldSize(msg, f) : 1;
    for (int i = 0; i < n; ++i) {
      const int index = f->is_repeated() ? i : -1;
      if (f->type() == gp::FieldDescriptor::TYPE_STRING) {
        const std::string v = f->is_repeated() ? r->GetRepeatedString(msg, f, i) : r->GetString(msg, f);
        if (first_invalid_utf8(v) != std::string::npos) {
          const gp::TextFormat::ParseLocation loc =
              tree ? tree->GetLocation(f, index) : gp::TextFormat::ParseLocation{};
          throw input_error(
              path, loc.line + 1, loc.column + 1,
              fmt::format("{}: the string is not valid UTF-8 (an escape makes a byte that is not)", f->name()));
        }
      } else if (f->type() == gp::FieldDescriptor::TYPE_MESSAGE) {
        const gp::Message& sub = f->is_repeated() ? r->GetRepeatedMessage(msg, f, i) : r->GetMessage(msg, f);
        check_strings(path, sub, tree ? tree->GetTreeForNested(f, index) : nullptr);
      }
    }
  }
}

}  // namespace

void parse_text(const std::string& path, const std::string& text, gp::Message& out,
                gp::TextFormat::ParseInfoTree& tree) {
  // Scenario and profile files are UTF-8 (outputs repeat their strings, and
  // results.json must be valid JSON): refuse any other byte where it is.
  if (const size_t bad = first_invalid_utf8(text); bad != std::string::npos) {
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < bad; ++i)
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    const int col = static_cast<int>(bad - line_start) + 1;
    throw input_error(path, line, col,
                      fmt::format("invalid UTF-8 (byte 0x{:02x}): the file must be UTF-8 text",
                                  static_cast<unsigned char>(text[bad])));
  }
  first_error_collector errors;
  gp::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  const bool ok = parser.ParseFromString(text, &out);
  if (errors.has_error())
    throw input_error(path, errors.line(),
                      column_of_token(text, errors.line(), errors.col(), errors.message()),
                      rephrase_parser_message(errors.message()));
  if (!ok) throw input_error(path, 1, 1, "cannot parse the file as protobuf text format");
  check_strings(path, out, &tree);
}

bool parse_sim_time(const std::string& text, long long& picoseconds) {
  if (text == "0") {
    picoseconds = 0;
    return true;
  }
  // digits [ "." digits ] unit; nothing else (no sign, no spaces, no exponent).
  size_t pos = 0;
  unsigned __int128 mantissa = 0;
  int digits = 0, fraction_digits = 0;
  bool in_fraction = false;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c >= '0' && c <= '9') {
      if (++digits > 36) return false;  // cannot fit in 63 bits anyway
      mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
      if (in_fraction) ++fraction_digits;
    } else if (c == '.' && !in_fraction && digits > 0) {
      in_fraction = true;
    } else {
      break;
    }
  }
  if (digits == 0 || (in_fraction && fraction_digits == 0)) return false;
  const std::string unit = text.substr(pos);
  long long unit_ps = 0;
  for (const time_unit& u : k_time_units)
    if (unit == u.suffix) unit_ps = u.ps;
  if (unit_ps == 0) return false;  // unitless non-zero, or an unknown unit
  unsigned __int128 scale = 1;
  for (int i = 0; i < fraction_digits; ++i) scale *= 10;
  const unsigned __int128 total = mantissa * static_cast<unsigned __int128>(unit_ps);
  if (total % scale != 0) return false;  // finer than one picosecond
  const unsigned __int128 ps = total / scale;
  if (ps > static_cast<unsigned __int128>(std::numeric_limits<long long>::max())) return false;
  picoseconds = static_cast<long long>(ps);
  return true;
}

namespace {

profile_set load_builtin_set() {
  profile_set set;
  for (unsigned i = 0; i < k_builtin_profile_count; ++i) {
    const std::string name = k_builtin_profile_files[i].name;
    pb::ProfileLibrary lib;
    gp::TextFormat::ParseInfoTree tree;
    parse_text(name, k_builtin_profile_files[i].text, lib, tree);
    validate_and_merge(lib, locator(name, &tree, source_location{1, 1}), set);
  }
  return set;
}

const profile_set& builtin_set() {
  // Built once; a broken built-in file is a build defect and throws on every call.
  static const profile_set set = load_builtin_set();
  return set;
}

}  // namespace

const pb::ProfileLibrary& builtin_profiles() { return builtin_set().library; }

pb::ProfileLibrary load_profile_library(const std::string& path) {
  return load_profile_library_text(path, read_file(path));
}

pb::ProfileLibrary load_profile_library_text(const std::string& path, const std::string& text) {
  pb::ProfileLibrary lib;
  gp::TextFormat::ParseInfoTree tree;
  parse_text(path, text, lib, tree);
  profile_set set;
  validate_and_merge(lib, locator(path, &tree, source_location{1, 1}), set);
  return std::move(set.library);
}

loaded_scenario load_scenario(const std::string& path) {
  return load_scenario_text(path, read_file(path));
}

loaded_scenario load_scenario_text(const std::string& path, const std::string& text) {
  loaded_scenario out;
  out.path = path;
  gp::TextFormat::ParseInfoTree tree;
  parse_text(path, text, out.scenario, tree);
  const locator where(out.path, &tree, source_location{1, 1});

  // Profiles first: the topology refers to them by name.
  profile_set profiles = builtin_set();
  const pb::Scenario& s = out.scenario;
  const std::string dir = path.find('/') == std::string::npos
                              ? std::string()
                              : path.substr(0, path.rfind('/') + 1);
  for (int i = 0; i < s.profile_file_size(); ++i) {
    const std::string& name = s.profile_file(i);
    const std::string resolved = (name.empty() || name[0] == '/') ? name : dir + name;
    std::ifstream probe(resolved);
    if (name.empty() || !probe)
      where.fail(s, "profile_file", i,
                 fmt::format("cannot open profile file \"{}\" (looked for \"{}\")", name, resolved));
    const std::string lib_text = read_file(resolved);
    pb::ProfileLibrary lib;
    gp::TextFormat::ParseInfoTree lib_tree;
    parse_text(resolved, lib_text, lib, lib_tree);
    validate_and_merge(lib, locator(resolved, &lib_tree, source_location{1, 1}), profiles);
  }
  const locator platform = where.nested(s, "platform");
  for (int i = 0; i < s.platform().profiles_size(); ++i)
    validate_and_merge(s.platform().profiles(i), platform.nested(s.platform(), "profiles", i),
                       profiles);

  validate_scenario(out, where, profiles.library);
  out.profiles = std::move(profiles.library);
  return out;
}

}  // namespace iovsim::scen
