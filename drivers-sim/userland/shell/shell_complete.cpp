// What Tab offers in `iovsim shell` on a terminal: bash's programmable completion
// reduced to its defaults (bash(1) Completing): a command name where a command goes,
// else a path, both from the simulated host and never from the real machine.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "drivers-sim/userland/shell/shell_impl.h"

namespace iovsim::host {
namespace {

// Whether the word starting at `start` names a command: first on the line, after
// ; | & ( ` or after a word that a command follows (then, do, sudo, ...).
bool command_position(const std::string& line, size_t start) {
  std::string before = line.substr(0, std::min(start, line.size()));
  while (!before.empty() && std::isspace(static_cast<unsigned char>(before.back()))) before.pop_back();
  if (before.empty() || std::strchr(";|&(`", before.back())) return true;
  const size_t b = before.find_last_of(" \t;|&(`");
  const std::string previous = before.substr(b == std::string::npos ? 0 : b + 1);
  static const char* const LEADS[] = {"!", "do", "elif", "else", "if", "sudo", "then", "until", "while", "{"};
  return std::any_of(std::begin(LEADS), std::end(LEADS), [&](const char* w) { return previous == w; });
}

}  // namespace

std::vector<std::string> shell::completions(const std::string& line, size_t start, size_t end) const {
  start = std::min(start, line.size());
  const std::string word = line.substr(start, std::max(end, start) - start);
  std::vector<std::string> out;
  if (command_position(line, start) && word.find('/') == std::string::npos) {
    for (const auto& name : command_names())
      if (name.compare(0, word.size(), word) == 0) out.push_back(name);
    return out;
  }
  // A path: the names in its directory (relative ones from the working directory)
  // that start with what is typed; dot files only when a dot is typed.
  const size_t slash = word.rfind('/');
  const std::string typed_dir = slash == std::string::npos ? "" : word.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? word : word.substr(slash + 1);
  const shell_impl::context ctx{m_files, m_cwd, &m_vars};
  const std::string dir = ctx.resolve(typed_dir.empty() ? "." : typed_dir);
  if (!m_files.is_dir(dir)) return out;
  for (const auto& name : shell_impl::split_lines(m_files.list(dir).data)) {
    if (name.compare(0, base.size(), base) != 0 || (name[0] == '.' && (base.empty() || base[0] != '.'))) continue;
    out.push_back(typed_dir + name + (m_files.is_dir(ctx.resolve(typed_dir + name)) ? "/" : ""));
  }
  return out;
}

}  // namespace iovsim::host
