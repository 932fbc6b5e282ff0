// Private to the host shell: what the interpreter (shell*.cpp), shell_sys.cpp (paths,
// globbing, options) and the utilities in ../coreutils share. Not part of the host API.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "drivers-sim/userland/shell/shell.h"

namespace iovsim::host::shell_impl {

using argv_t = std::vector<std::string>;

// What a built-in sees of the shell: the files, the working directory and (for
// `test -v`) the variables.
struct context {
  vfs& files;
  const std::string& cwd;
  const std::map<std::string, std::string>* vars = nullptr;

  // The absolute, lexically normalized path for a path typed by the user.
  std::string resolve(const std::string& path) const;
  // Whether a file or directory exists. Asks for a listing, never reads: reading a
  // sysfs attribute may fail (write-only attributes) or have side effects.
  bool exists(const std::string& path) const;
  // Reads a file operand the way coreutils do: "-" is the standard input; on error
  // appends "<cmd>: <name>: <strerror>" to r.err, sets r.errno_name, returns false.
  bool read_operand(const std::string& cmd, const std::string& name, const std::string& in,
                    std::string& data, cmd_result& r) const;
};

using builtin_fn = cmd_result (*)(context&, const argv_t&, const std::string& in);

// The text utilities (cat, grep, head, ...); nullptr for any other name.
builtin_fn find_builtin(const std::string& name);
// Their names, sorted.
std::vector<std::string> builtin_names();

cmd_result grep(context& ctx, const argv_t& argv, const std::string& in);
// coreutils/ls.cpp
cmd_result ls(context& ctx, const argv_t& argv, const std::string& in);

// What ls -l and test see of a file: lstat(2) (follow false) or stat(2) (true) of a
// path typed by the user. When the file system does not say (vfs::lstat's type
// '\0'), it goes by readlink and is_dir and gives a sysfs attribute's answer.
struct file_info {
  int error = 0;                // ENOENT when there is no such file
  char type = '-';              // '-' file, 'd' directory, 'l' symbolic link
  unsigned mode = 0644;         // permission bits
  unsigned long long size = 0;  // st_size
  std::string target;           // a link's
};
file_info stat_file(const context& ctx, const std::string& path, bool follow);
// coreutils/test.cpp: test and [, as bash's built-in (argv[0] says which); its unary
// operators (-e -f -d -n -z ...) serve [[ ]] too.
cmd_result test(context& ctx, const argv_t& argv, const std::string& in);
bool is_unary_op(const std::string& op);
bool test_unary(context& ctx, const std::string& op, const std::string& operand);
// coreutils/paths.cpp
cmd_result basename(context& ctx, const argv_t& argv, const std::string& in);
cmd_result dirname(context& ctx, const argv_t& argv, const std::string& in);
cmd_result readlink(context& ctx, const argv_t& argv, const std::string& in);

// fnmatch(3) of a whole string; `at_start` applies the leading-period rule of
// pathname expansion. '\' quotes the next pattern character.
bool glob_match(const char* pattern, const char* s, bool at_start);

// bash's pathname expansion of a pattern (quoted characters escaped with '\'): the
// existing paths it names, sorted in the C locale; empty when none.
std::vector<std::string> glob(const context& ctx, const std::string& pattern);

// GNU getopt_long over argv[1..]: options may follow operands, "--" ends them, `-abc`
// is a cluster, and a letter followed by ':' in `spec` takes the rest of the cluster or
// the next word. on_option gets the letter and its argument, or '-' and the whole
// "--name[=value]" of a long option; it returns an error message, or "" when fine, or
// "?" to reject a long option as unrecognized. On error fills r (status
// `usage_status`) and returns false.
using option_fn = std::function<std::string(char letter, const std::string& arg)>;
bool getopt(const argv_t& argv, const char* spec, const option_fn& on_option, argv_t& operands, cmd_result& r,
            int usage_status);
// The option handler of a command that takes none: every long option is unrecognized.
inline std::string no_options(char letter, const std::string&) { return letter == '-' ? "?" : ""; }

// Splits text into lines without their '\n'; a final line without '\n' counts.
std::vector<std::string> split_lines(const std::string& text);

// The error status and message of a command-line mistake: "<cmd>: <what>\nTry '<cmd>
// --help' for more information.\n" as coreutils print it.
cmd_result usage_error(const std::string& cmd, const std::string& what, int status);

}  // namespace iovsim::host::shell_impl
