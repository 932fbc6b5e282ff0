#include "drivers-sim/kernel/module.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

#include "drivers-sim/kernel/kstrtox.h"

namespace iovsim::host {

namespace {
// param_set_uint / param_set_int / param_set_bool (kernel/params.c): whether `value`
// is one of the type's.
bool value_parses(module_param_def::type kind, const std::string& value) {
  unsigned long long v = 0;
  switch (kind) {
    case module_param_def::type::uint:
      return kstrtoull(value, 0xffffffffull, v) == 0;
    case module_param_def::type::int_:
      if (!value.empty() && value[0] == '-') return kstrtoull(value.substr(1), 0x80000000ull, v) == 0;
      return kstrtoull(value, 0x7fffffffull, v) == 0;
    case module_param_def::type::bool_: {
      // kstrtobool: y/Y/1/n/N/0, on/off; an empty value means true.
      const std::string s = value;
      return s.empty() || s == "1" || s == "0" || s[0] == 'y' || s[0] == 'Y' || s[0] == 'n' || s[0] == 'N' ||
             s == "on" || s == "off";
    }
    case module_param_def::type::charp:
      return true;
  }
  return false;
}

// parse_args' tokenizer (kernel/params.c next_arg): words split at blanks, each
// `name=value` or `name`; a double quote keeps blanks inside a value.
std::vector<std::pair<std::string, std::string>> split_args(const std::string& args) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < args.size()) {
    while (i < args.size() && std::isspace(static_cast<unsigned char>(args[i]))) ++i;
    if (i >= args.size()) break;
    std::string word;
    bool quoted = false;
    for (; i < args.size() && (quoted || !std::isspace(static_cast<unsigned char>(args[i]))); ++i) {
      if (args[i] == '"') quoted = !quoted;
      else word += args[i];
    }
    const size_t eq = word.find('=');
    if (eq == std::string::npos) out.emplace_back(word, "");
    else out.emplace_back(word.substr(0, eq), word.substr(eq + 1));
  }
  return out;
}
}  // namespace

// A reboot throws the kernel away with its modules: nothing is unloaded (no driver's
// remove runs against hardware that is being reset).
module_loader::~module_loader() = default;

void module_loader::install(std::unique_ptr<kernel_module> m) {
  if (find(m->name())) throw std::logic_error("module " + m->name() + " installed twice");
  m_installed.push_back(std::move(m));
}

kernel_module* module_loader::find(const std::string& name) const {
  for (const auto& m : m_installed)
    if (m->name() == name) return m.get();
  return nullptr;
}

bool module_loader::loaded(const std::string& name) const {
  return std::any_of(m_loaded.begin(), m_loaded.end(), [&](const auto& l) { return l.first == name; });
}

int module_loader::load(const std::string& name, const std::string& params) {
  kernel_module* m = find(name);
  if (!m) return -ENOENT;
  if (loaded(name)) return -EEXIST;
  std::map<std::string, std::string> accepted;
  const std::vector<module_param_def> defs = m->params();
  for (const auto& [key, value] : split_args(params)) {
    // Structured bindings cannot be captured before C++20 (clang refuses): by name.
    const std::string& wanted = key;
    auto def = std::find_if(defs.begin(), defs.end(), [&](const module_param_def& d) { return d.name == wanted; });
    if (def == defs.end()) {
      // unknown_module_param_cb(): warned about and ignored.
      m_log.print(fmt::format("{}: unknown parameter '{}' ignored", name, key));
      continue;
    }
    if (!value_parses(def->kind, value)) {
      // parse_args(): the load fails before module_init runs.
      m_log.print(fmt::format("{}: `{}' invalid for parameter `{}'", name, value, key));
      return -EINVAL;
    }
    accepted[key] = value;
  }
  m_loaded.emplace_back(name, loaded_module{m, accepted});
  const int err = m->init(accepted);
  if (err) {
    m_loaded.pop_back();
    return err;
  }
  return 0;
}

int module_loader::unload(const std::string& name) {
  auto it = std::find_if(m_loaded.begin(), m_loaded.end(), [&](const auto& l) { return l.first == name; });
  if (it == m_loaded.end()) return -ENOENT;
  kernel_module* m = it->second.module;
  m->exit();
  m_loaded.erase(std::find_if(m_loaded.begin(), m_loaded.end(), [&](const auto& l) { return l.first == name; }));
  return 0;
}

std::vector<std::string> module_loader::loaded_modules() const {
  std::vector<std::string> out;
  for (auto it = m_loaded.rbegin(); it != m_loaded.rend(); ++it) out.push_back(it->first);
  return out;
}

std::string module_loader::param(const std::string& module, const std::string& name) const {
  for (const auto& [n, l] : m_loaded)
    if (n == module) {
      auto p = l.params.find(name);
      return p == l.params.end() ? "" : p->second;
    }
  return "";
}

std::string module_loader::module_for_alias(const std::string& modalias) const {
  for (const auto& m : m_installed)
    if (m->matches_alias(modalias)) return m->name();
  return "";
}

}  // namespace iovsim::host
