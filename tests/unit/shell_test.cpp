// Host shell: quoting, lists, pipelines, redirections and their failures, globbing,
// and the built-in utilities, over an in-memory file system. Expected texts are what
// bash 5.2, GNU coreutils 9.1 and GNU grep 3.8 print in the C locale.
#include "drivers-sim/userland/shell/shell.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "tests/unit/shell_fake_vfs.h"

namespace iovsim::host {
namespace {

const std::string NUMVFS0 = "/sys/class/net/enp3s0f0/device/sriov_numvfs";
const std::string TOTALVFS0 = "/sys/class/net/enp3s0f0/device/sriov_totalvfs";
const std::string NUMVFS1 = "/sys/class/net/enp3s0f1/device/sriov_numvfs";  // busy: VFs in use
const std::string NO_SRIOV = "/sys/bus/pci/devices/0000:05:00.0/sriov_numvfs";  // driver can't

const char* const LSPCI_TREE =
    "-[0000:00]-+-00.0  8086:0c00\n"
    "           +-01.0-[01]--+-00.0  8086:10fb\n"
    "           |            \\-00.1  8086:10fb\n"
    "           \\-03.0-[02]--+-10.0  8086:1515\n"
    "                        \\-10.2  8086:1515\n";

class shell_test : public ::testing::Test {
 protected:
  void SetUp() override {
    m_files.add_file(NUMVFS0, "0\n");
    m_files.add_file(TOTALVFS0, "63\n");
    m_files.add_file(NUMVFS1, "4\n");
    m_files.add_file("/sys/class/net/enp3s0f0/address", "00:1b:21:aa:bb:00\n");
    m_files.add_file("/sys/class/net/enp3s0f1/address", "00:1b:21:aa:bb:01\n");
    m_files.add_file(NO_SRIOV, "0\n");
    m_files.add_file("/etc/text", "alpha beta\nAlpha Beta\na+b (x)\naab\na{2}\nfoo_bar foo\nend.\n");
    m_files.add_file("/etc/numbers", "10\n9\n100\n-1\n9\n");
    m_files.add_dir("/tmp");
    m_files.fail_writes(TOTALVFS0, EACCES);  // read-only attribute: open(2) fails
    m_files.fail_writes(NUMVFS1, EBUSY);
    m_files.fail_writes(NO_SRIOV, ENOENT);   // sriov_numvfs_store without sriov_configure
    m_shell.add_command(
        "lspci",
        [this](const std::vector<std::string>& argv, const std::string&) {
          m_lspci_argv = argv;
          return cmd_result{0, LSPCI_TREE, "", ""};
        },
        "list PCI devices");
    m_shell.add_command(
        "stdin_bytes",
        [](const std::vector<std::string>&, const std::string& in) {
          return cmd_result{0, std::to_string(in.size()) + ":" + in, "", ""};
        },
        "count the bytes of the standard input");
    m_shell.add_command(
        "explode", [](const std::vector<std::string>&, const std::string&) -> cmd_result { throw std::runtime_error("boom"); },
        "throw");
  }

  outcome run(const std::string& line) {
    cmd_result r = m_shell.run(line);
    return outcome{r.out, r.err, r.status, r.errno_name};
  }
  std::string out(const std::string& line) { return m_shell.run(line).out; }

  fake_vfs m_files;
  shell m_shell{m_files};
  std::vector<std::string> m_lspci_argv;
};

// ---- Lexing and lists -----------------------------------------------------------

TEST_F(shell_test, quoting_follows_bash) {
  EXPECT_EQ(out(R"(echo 'a  b' "c \"d\" \$x \\ \q" e\ f)"), "a  b c \"d\" $x \\ \\q e f\n");
  EXPECT_EQ(out(R"(echo '\n' "" x)"), "\\n  x\n");
  EXPECT_EQ(out(R"(echo a'b'"c"d)"), "abcd\n");
  EXPECT_EQ(out("echo a#b '#c' \\#d"), "a#b #c #d\n");
  EXPECT_EQ(out("echo a\\"), "a\\\n");  // bash keeps a trailing backslash
}

TEST_F(shell_test, empty_lines_and_comments_do_nothing) {
  EXPECT_EQ(run(""), (outcome{"", "", 0, ""}));
  EXPECT_EQ(run("   \t "), (outcome{"", "", 0, ""}));
  EXPECT_EQ(run("# echo hidden"), (outcome{"", "", 0, ""}));
  EXPECT_EQ(run("echo shown # echo hidden"), (outcome{"shown\n", "", 0, ""}));
}

TEST_F(shell_test, unknown_command_is_127) {
  EXPECT_EQ(run("foo bar"), (outcome{"", "-bash: foo: command not found\n", 127, ""}));
  EXPECT_EQ(run("/usr/bin/foo"), (outcome{"", "-bash: /usr/bin/foo: No such file or directory\n", 127, ""}));
  EXPECT_EQ(run("foo; echo x").status, 0);
}

TEST_F(shell_test, lists_and_conditionals) {
  EXPECT_EQ(out("echo a; echo b;"), "a\nb\n");
  EXPECT_EQ(run("false && echo no; echo yes"), (outcome{"yes\n", "", 0, ""}));
  EXPECT_EQ(run("false || echo alt"), (outcome{"alt\n", "", 0, ""}));
  EXPECT_EQ(run("true && echo a || echo b"), (outcome{"a\n", "", 0, ""}));
  EXPECT_EQ(run("false && echo a || echo b"), (outcome{"b\n", "", 0, ""}));
  EXPECT_EQ(run("true || echo a && echo c"), (outcome{"c\n", "", 0, ""}));  // left to right
  EXPECT_EQ(run("echo a; false").status, 1);
  EXPECT_EQ(run("false; true").status, 0);
}

// Each broken line with the error bash gives; nothing of the line runs.
TEST_F(shell_test, syntax_errors_corpus) {
  const std::vector<std::pair<std::string, std::string>> corpus = {
      {"echo 'abc", "-bash: unexpected EOF while looking for matching `''\n"},
      {"echo \"abc", "-bash: unexpected EOF while looking for matching `\"'\n"},
      {"| wc", "-bash: syntax error near unexpected token `|'\n"},
      {"echo a | | wc", "-bash: syntax error near unexpected token `|'\n"},
      {"echo a |", "-bash: syntax error: unexpected end of file\n"},
      {"echo a &&", "-bash: syntax error: unexpected end of file\n"},
      {"; echo a", "-bash: syntax error near unexpected token `;'\n"},
      {"echo a ;; echo b", "-bash: syntax error near unexpected token `;;'\n"},
      {"echo a >", "-bash: syntax error near unexpected token `newline'\n"},
      {"echo a > | wc", "-bash: syntax error near unexpected token `|'\n"},
      {"echo (a)", "-bash: syntax error near unexpected token `a'\n"},  // bash reads `echo (` as a function
      {"echo a & echo b", "-bash: &: background jobs are not supported by the simulated shell\n"},
  };
  for (const auto& [line, err] : corpus) {
    EXPECT_EQ(run(line), (outcome{"", err, 2, ""})) << line;
  }
  EXPECT_TRUE(m_files.writes.empty());
}

// ---- Pipelines ------------------------------------------------------------------

TEST_F(shell_test, pipelines_feed_each_stage) {
  EXPECT_EQ(run("cat /etc/text | grep a | wc -l"), (outcome{"6\n", "", 0, ""}));
  EXPECT_EQ(out("echo hello | cat | cat -"), "hello\n");
  EXPECT_EQ(run("echo hello | stdin_bytes"), (outcome{"6:hello\n", "", 0, ""}));
  EXPECT_EQ(out("stdin_bytes"), "0:");
  // The status is the last stage's (no pipefail); every stage's stderr is kept.
  EXPECT_EQ(run("cat /nope | echo x"), (outcome{"x\n", "cat: /nope: No such file or directory\n", 0, "ENOENT"}));
  EXPECT_EQ(run("echo x | false").status, 1);
}

TEST_F(shell_test, lspci_tree_through_grep) {
  EXPECT_EQ(run("lspci -vt -n | grep 8086:1515"),
            (outcome{"           \\-03.0-[02]--+-10.0  8086:1515\n"
                     "                        \\-10.2  8086:1515\n",
                     "", 0, ""}));
  EXPECT_EQ(m_lspci_argv, (std::vector<std::string>{"lspci", "-vt", "-n"}));
  EXPECT_EQ(out("lspci -vt -n | grep -c 8086:10fb"), "2\n");
}

TEST_F(shell_test, registered_commands_come_before_builtins) {
  m_shell.add_command(
      "cat", [](const std::vector<std::string>&, const std::string& in) { return cmd_result{0, "mine:" + in, "", ""}; },
      "override");
  EXPECT_EQ(out("echo x | cat /etc/text"), "mine:x\n");
}

TEST_F(shell_test, throwing_command_does_not_escape) {
  EXPECT_EQ(run("explode; echo after"), (outcome{"after\n", "explode: internal error: boom\n", 0, ""}));
  EXPECT_EQ(run("explode").status, 1);
}

// ---- Redirections ---------------------------------------------------------------

TEST_F(shell_test, redirect_writes_like_bash) {
  EXPECT_EQ(run("echo 7 > " + NUMVFS0), (outcome{"", "", 0, ""}));
  EXPECT_EQ(m_files.content(NUMVFS0), "7\n");
  EXPECT_EQ(m_files.writes.back(), std::make_tuple(NUMVFS0, std::string("7\n"), false));
  EXPECT_EQ(run("echo 8 >> " + NUMVFS0), (outcome{"", "", 0, ""}));
  EXPECT_EQ(m_files.writes.back(), std::make_tuple(NUMVFS0, std::string("8\n"), true));
  EXPECT_EQ(m_files.content(NUMVFS0), "7\n8\n");
  EXPECT_EQ(out("echo new >/tmp/f; cat /tmp/f"), "new\n");  // creates
  EXPECT_EQ(out("echo -n a>/tmp/g; echo b >>/tmp/g; cat /tmp/g"), "ab\n");
  EXPECT_EQ(out("cat < /etc/numbers | head -n 1"), "10\n");
}

TEST_F(shell_test, write_error_is_reported_by_the_command) {
  EXPECT_EQ(run("echo 7 > " + NUMVFS1),
            (outcome{"", "-bash: echo: write error: Device or resource busy\n", 1, "EBUSY"}));
  EXPECT_EQ(m_files.writes.back(), std::make_tuple(NUMVFS1, std::string("7\n"), false));
  // A utility that is a program in Linux says it without "-bash: ".
  EXPECT_EQ(run("cat /etc/numbers > " + NUMVFS1),
            (outcome{"", "cat: write error: Device or resource busy\n", 1, "EBUSY"}));
  // ENOENT from the attribute's store, not from open(2).
  EXPECT_EQ(run("echo 2 > " + NO_SRIOV), (outcome{"", "-bash: echo: write error: No such file or directory\n", 1, "ENOENT"}));
  EXPECT_EQ(run("echo 7 > " + NUMVFS1 + " 2>/dev/null"), (outcome{"", "", 1, "EBUSY"}));
  EXPECT_EQ(run("echo 7 > " + NUMVFS1 + " && echo done"),
            (outcome{"", "-bash: echo: write error: Device or resource busy\n", 1, "EBUSY"}));
  EXPECT_EQ(run("echo 7 > " + NUMVFS1 + " || echo failed").out, "failed\n");
}

TEST_F(shell_test, open_errors_are_reported_by_bash) {
  EXPECT_EQ(run("echo 1 > /x/y"), (outcome{"", "-bash: /x/y: No such file or directory\n", 1, "ENOENT"}));
  EXPECT_TRUE(m_files.writes.empty());  // refused before anything ran
  EXPECT_EQ(run("echo 1 > " + TOTALVFS0), (outcome{"", "-bash: " + TOTALVFS0 + ": Permission denied\n", 1, "EACCES"}));
  EXPECT_EQ(run("echo 1 > /sys/class"), (outcome{"", "-bash: /sys/class: Is a directory\n", 1, "EISDIR"}));
  EXPECT_EQ(run("echo 1 > /etc/text/x"), (outcome{"", "-bash: /etc/text/x: Not a directory\n", 1, "ENOTDIR"}));
  EXPECT_EQ(run("cat < /nope"), (outcome{"", "-bash: /nope: No such file or directory\n", 1, "ENOENT"}));
  EXPECT_EQ(run("echo a > /tmp/*"), (outcome{"", "", 0, ""}));  // no match: the word itself
  EXPECT_EQ(m_files.content("/tmp/*"), "a\n");
  m_files.add_file("/tmp/b", "");
  EXPECT_EQ(run("echo a > /tmp/*"), (outcome{"", "-bash: /tmp/*: ambiguous redirect\n", 1, ""}));
}

TEST_F(shell_test, stderr_redirections_in_order) {
  EXPECT_EQ(run("cat /nope 2>/dev/null"), (outcome{"", "", 1, "ENOENT"}));
  EXPECT_EQ(run("cat /nope 2>&1"), (outcome{"cat: /nope: No such file or directory\n", "", 1, "ENOENT"}));
  EXPECT_EQ(run("cat /nope 2>&1 | wc -l"), (outcome{"1\n", "", 0, "ENOENT"}));
  EXPECT_EQ(run("cat /etc/numbers > /dev/null"), (outcome{"", "", 0, ""}));
  EXPECT_EQ(run("echo oops >&2"), (outcome{"", "oops\n", 0, ""}));
  // `2>&1 > f` sends errors to the old stdout; `> f 2>&1` sends them to f.
  EXPECT_EQ(run("cat /etc/numbers /nope 2>&1 > /tmp/o"), (outcome{"cat: /nope: No such file or directory\n", "", 1, "ENOENT"}));
  EXPECT_EQ(m_files.content("/tmp/o"), "10\n9\n100\n-1\n9\n");
  EXPECT_EQ(run("cat /nope > /tmp/o 2>&1"), (outcome{"", "", 1, "ENOENT"}));
  EXPECT_EQ(m_files.content("/tmp/o"), "cat: /nope: No such file or directory\n");
  EXPECT_EQ(run("cat /etc/numbers /nope &> /tmp/both; cat /tmp/both"),
            (outcome{"10\n9\n100\n-1\n9\ncat: /nope: No such file or directory\n", "", 0, "ENOENT"}));
  EXPECT_EQ(run("echo x 2>&7"), (outcome{"", "-bash: 7: Bad file descriptor\n", 1, "EBADF"}));
}

TEST_F(shell_test, redirect_without_command_truncates) {
  EXPECT_EQ(run("echo data > /tmp/t; > /tmp/t"), (outcome{"", "", 0, ""}));
  EXPECT_EQ(m_files.content("/tmp/t"), "");
}

// ---- Files, globs, directories ----------------------------------------------------

TEST_F(shell_test, cat_errors) {
  EXPECT_EQ(run("cat /sys"), (outcome{"", "cat: /sys: Is a directory\n", 1, "EISDIR"}));
  EXPECT_EQ(run("cat /nope /etc/numbers"), (outcome{"10\n9\n100\n-1\n9\n", "cat: /nope: No such file or directory\n", 1, "ENOENT"}));
  EXPECT_EQ(run("cat -A /etc/text"),
            (outcome{"", "cat: invalid option -- 'A'\nTry 'cat --help' for more information.\n", 1, ""}));
}

TEST_F(shell_test, ls_lists_like_a_pipe) {
  EXPECT_EQ(run("ls /sys/class/net"), (outcome{"enp3s0f0\nenp3s0f1\n", "", 0, ""}));
  EXPECT_EQ(out("ls -1 /sys/class/net/enp3s0f0/"), "address\ndevice\n");
  EXPECT_EQ(out("ls /sys/class /etc/text /sys/bus/pci"), "/etc/text\n\n/sys/bus/pci:\ndevices\n\n/sys/class:\nnet\n");
  EXPECT_EQ(run("ls /nope /sys/class"),
            (outcome{"/sys/class:\nnet\n", "ls: cannot access '/nope': No such file or directory\n", 2, "ENOENT"}));
  EXPECT_EQ(out("ls -d /sys/class"), "/sys/class\n");
}

TEST_F(shell_test, globs_expand_against_the_files) {
  EXPECT_EQ(out("cat /sys/class/net/*/address"), "00:1b:21:aa:bb:00\n00:1b:21:aa:bb:01\n");
  EXPECT_EQ(out("echo /sys/class/net/enp3s0f?/device/sriov_n*"), NUMVFS0 + " " + NUMVFS1 + "\n");
  EXPECT_EQ(out("echo /sys/class/net/enp3s0f[!0]"), "/sys/class/net/enp3s0f1\n");
  EXPECT_EQ(out("echo /nope/* '/sys/class/net/*' /sys/class/net/\\*"), "/nope/* /sys/class/net/* /sys/class/net/*\n");
  EXPECT_EQ(out("echo /sys/*/"), "/sys/bus/ /sys/class/\n");
}

TEST_F(shell_test, cd_and_relative_paths) {
  EXPECT_EQ(run("cd /sys/class/net && pwd"), (outcome{"/sys/class/net\n", "", 0, ""}));
  EXPECT_EQ(out("cat enp3s0f1/address"), "00:1b:21:aa:bb:01\n");  // the directory persists
  EXPECT_EQ(out("echo */address"), "enp3s0f0/address enp3s0f1/address\n");
  EXPECT_EQ(out("cd enp3s0f0/device; echo 5 > sriov_numvfs; cat ../../enp3s0f0/device/sriov_numvfs"), "5\n");
  EXPECT_EQ(run("cd /nope"), (outcome{"", "-bash: cd: /nope: No such file or directory\n", 1, "ENOENT"}));
  EXPECT_EQ(run("cd /etc/text"), (outcome{"", "-bash: cd: /etc/text: Not a directory\n", 1, "ENOTDIR"}));
  EXPECT_EQ(out("pwd"), "/sys/class/net/enp3s0f0/device\n");
}

TEST_F(shell_test, tee_sudo_and_sh) {
  EXPECT_EQ(run("echo 3 | sudo tee " + NUMVFS0), (outcome{"3\n", "", 0, ""}));
  EXPECT_EQ(m_files.content(NUMVFS0), "3\n");
  EXPECT_EQ(run("echo 3 | tee " + NUMVFS1), (outcome{"3\n", "tee: " + NUMVFS1 + ": Device or resource busy\n", 1, "EBUSY"}));
  EXPECT_EQ(run("sudo sh -c 'echo 2 > " + NUMVFS0 + "'"), (outcome{"", "", 0, ""}));
  EXPECT_EQ(m_files.content(NUMVFS0), "2\n");
  EXPECT_EQ(out("echo 1 | tee -a /tmp/log; echo 2 | tee -a /tmp/log >/dev/null; cat /tmp/log"), "1\n1\n2\n");
}

TEST_F(shell_test, readlink_prints_targets_and_canonical_paths) {
  m_files.add_file("/sys/bus/pci/devices/0000:03:00.0/vendor", "0x8086\n");
  m_files.add_link("/sys/class/net/enp3s0f0/device", "../../../bus/pci/devices/0000:03:00.0");
  EXPECT_EQ(run("readlink /sys/class/net/enp3s0f0/device"),
            (outcome{"../../../bus/pci/devices/0000:03:00.0\n", "", 0, ""}));
  EXPECT_EQ(run("readlink -n /sys/class/net/enp3s0f0/device"),
            (outcome{"../../../bus/pci/devices/0000:03:00.0", "", 0, ""}));
  EXPECT_EQ(run("readlink -f /sys/class/net/enp3s0f0/device/vendor"),
            (outcome{"/sys/bus/pci/devices/0000:03:00.0/vendor\n", "", 0, ""}));
  // ".." after a link goes up from where the link led, as the kernel walks paths.
  EXPECT_EQ(out("cd /sys/class/net; readlink -f enp3s0f0/device/../x"), "/sys/bus/pci/devices/x\n");
  EXPECT_EQ(run("readlink -e /sys/bus/pci/devices/x"), (outcome{"", "", 1, "ENOENT"}));
  EXPECT_EQ(run("readlink -f /nope/x"), (outcome{"", "", 1, "ENOENT"}));
  // Quiet by default; -v names the failures.
  EXPECT_EQ(run("readlink /etc/text"), (outcome{"", "", 1, "EINVAL"}));
  EXPECT_EQ(run("readlink -v /etc/text /nope"),
            (outcome{"", "readlink: /etc/text: Invalid argument\nreadlink: /nope: No such file or directory\n", 1,
                     "ENOENT"}));
  EXPECT_EQ(run("readlink"),
            (outcome{"", "readlink: missing operand\nTry 'readlink --help' for more information.\n", 1, ""}));
}

TEST_F(shell_test, help_lists_registered_commands_sorted) {
  const std::string help = out("help");
  EXPECT_EQ(help.substr(0, help.find("Shell built-ins:")),
            "Commands:\n"
            "  explode      throw\n"
            "  lspci        list PCI devices\n"
            "  stdin_bytes  count the bytes of the standard input\n");
  EXPECT_NE(help.find(" : [ basename bash break cat cd continue cut"), std::string::npos);
  EXPECT_EQ(out("help lspci"), "lspci: list PCI devices\n");
  EXPECT_EQ(run("help nope").status, 1);
  EXPECT_EQ(m_shell.commands().front(), std::make_pair(std::string("explode"), std::string("throw")));
}

// ---- grep -----------------------------------------------------------------------

TEST_F(shell_test, grep_basic_options) {
  EXPECT_EQ(run("grep beta /etc/text"), (outcome{"alpha beta\n", "", 0, ""}));
  EXPECT_EQ(run("grep -i BETA /etc/text"), (outcome{"alpha beta\nAlpha Beta\n", "", 0, ""}));
  EXPECT_EQ(run("grep -n foo /etc/text"), (outcome{"6:foo_bar foo\n", "", 0, ""}));
  EXPECT_EQ(run("grep -vc a /etc/text"), (outcome{"1\n", "", 0, ""}));
  EXPECT_EQ(run("grep -v a /etc/text"), (outcome{"end.\n", "", 0, ""}));
  EXPECT_EQ(run("grep zzz /etc/text"), (outcome{"", "", 1, ""}));
  EXPECT_EQ(run("grep -c zzz /etc/text"), (outcome{"0\n", "", 1, ""}));
  EXPECT_EQ(run("grep -q Alpha /etc/text"), (outcome{"", "", 0, ""}));
  EXPECT_EQ(run("grep -q zzz /etc/text"), (outcome{"", "", 1, ""}));
  EXPECT_EQ(run("grep -x aab /etc/text"), (outcome{"aab\n", "", 0, ""}));
  EXPECT_EQ(run("grep -m 1 -n a /etc/text"), (outcome{"1:alpha beta\n", "", 0, ""}));
  EXPECT_EQ(run("grep -e foo -e end /etc/text"), (outcome{"foo_bar foo\nend.\n", "", 0, ""}));
  EXPECT_EQ(run("grep --color=auto end /etc/text"), (outcome{"end.\n", "", 0, ""}));
  EXPECT_EQ(run("grep /etc/text -e end"), (outcome{"end.\n", "", 0, ""}));  // options after operands
}

TEST_F(shell_test, grep_words_and_only_matching) {
  EXPECT_EQ(run("grep -w foo /etc/text"), (outcome{"foo_bar foo\n", "", 0, ""}));
  EXPECT_EQ(run("grep -wo foo /etc/text"), (outcome{"foo\n", "", 0, ""}));
  EXPECT_EQ(run("grep -w bar /etc/text"), (outcome{"", "", 1, ""}));  // foo_bar: '_' is a word character
  EXPECT_EQ(run("echo 'abc xyz aaa' | grep -o 'a[a-z]*'"), (outcome{"abc\naaa\n", "", 0, ""}));
  EXPECT_EQ(run("echo 'abc xyz aaa' | grep -on 'x.z'"), (outcome{"1:xyz\n", "", 0, ""}));
  EXPECT_EQ(run("echo 'vf 0 MAC 1, vf 1 MAC 2' | grep -oE 'vf [0-9]+'"), (outcome{"vf 0\nvf 1\n", "", 0, ""}));
}

TEST_F(shell_test, grep_basic_versus_extended_syntax) {
  // BRE: + ? | ( ) { } are literal unless backslashed; ERE: the other way round.
  EXPECT_EQ(out("grep -n 'a+b' /etc/text"), "3:a+b (x)\n");
  EXPECT_EQ(out("grep -nE 'a+b' /etc/text"), "4:aab\n");
  EXPECT_EQ(out("grep -n 'a\\+b' /etc/text"), "4:aab\n");
  EXPECT_EQ(out("grep -nE 'a\\+b' /etc/text"), "3:a+b (x)\n");
  EXPECT_EQ(out("grep -n 'a{2}' /etc/text"), "5:a{2}\n");
  EXPECT_EQ(out("grep -nE 'a{2}' /etc/text"), "4:aab\n");
  EXPECT_EQ(out("grep -n 'a\\{2\\}' /etc/text"), "4:aab\n");
  EXPECT_EQ(run("grep '^(foo|end)' /etc/text"), (outcome{"", "", 1, ""}));
  EXPECT_EQ(out("grep -E '^(foo|end)' /etc/text"), "foo_bar foo\nend.\n");
  EXPECT_EQ(out("grep '^\\(foo\\|end\\)' /etc/text"), "foo_bar foo\nend.\n");
  EXPECT_EQ(out("grep -n '(x)' /etc/text"), "3:a+b (x)\n");
  EXPECT_EQ(out("grep -n 'a?' /etc/text"), "");
  EXPECT_EQ(out("grep -c '.' /etc/text"), "7\n");
  EXPECT_EQ(out("grep -F '.' /etc/text"), "end.\n");
  EXPECT_EQ(out("grep -F 'a{2}' /etc/text"), "a{2}\n");
  EXPECT_EQ(out("grep -n '^*\\|x\\{1,\\})' /etc/text"), "3:a+b (x)\n");
  EXPECT_EQ(out("grep -E '(a)\\1b' /etc/text"), "aab\n");
  EXPECT_EQ(out("grep '[[:upper:]]' /etc/text"), "Alpha Beta\n");
  EXPECT_EQ(out("grep -c '[]a]' /etc/text"), "6\n");
  EXPECT_EQ(out("echo 'a\\b' | grep '[\\]'"), "a\\b\n");  // backslash is literal in brackets
  EXPECT_EQ(out("echo 'x*y' | grep -o '*y'"), "*y\n");      // leading * is literal in a BRE
  EXPECT_EQ(out("echo 'aaa' | grep -oE 'a+?'"), "aaa\n");   // (a+)?, not a lazy a+
  EXPECT_EQ(out("echo 'ab)' | grep -oE 'b)'"), "b)\n");     // an unmatched ) is literal
}

TEST_F(shell_test, grep_context) {
  EXPECT_EQ(out("grep -A1 -e alpha -e foo /etc/text"), "alpha beta\nAlpha Beta\n--\nfoo_bar foo\nend.\n");
  EXPECT_EQ(out("grep -n -B2 end /etc/text"), "5-a{2}\n6-foo_bar foo\n7:end.\n");
  EXPECT_EQ(out("grep -n -A1 -B1 aab /etc/text"), "3-a+b (x)\n4:aab\n5-a{2}\n");
  EXPECT_EQ(out("grep -C1 -e beta -e Beta /etc/text"), "alpha beta\nAlpha Beta\na+b (x)\n");
}

TEST_F(shell_test, grep_files_and_errors) {
  EXPECT_EQ(out("grep -c a /etc/text /etc/numbers"), "/etc/text:6\n/etc/numbers:0\n");
  EXPECT_EQ(out("grep -h 9 /etc/text /etc/numbers"), "9\n9\n");
  EXPECT_EQ(out("grep -l 9 /etc/text /etc/numbers"), "/etc/numbers\n");
  EXPECT_EQ(out("echo x | grep -H x"), "(standard input):x\n");
  EXPECT_EQ(run("grep a /nope"), (outcome{"", "grep: /nope: No such file or directory\n", 2, "ENOENT"}));
  EXPECT_EQ(run("grep -s a /nope /etc/text"), (outcome{"/etc/text:alpha beta\n/etc/text:Alpha Beta\n/etc/text:a+b (x)\n"
                                                        "/etc/text:aab\n/etc/text:a{2}\n/etc/text:foo_bar foo\n",
                                                        "", 2, "ENOENT"}));
  EXPECT_EQ(run("grep a /sys"), (outcome{"", "grep: /sys: Is a directory\n", 2, "EISDIR"}));
  EXPECT_EQ(run("grep"), (outcome{"", "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n", 2, ""}));
  EXPECT_EQ(run("grep -A x a"), (outcome{"", "grep: x: invalid context length argument\n", 2, ""}));
  EXPECT_EQ(run("grep -Y a"), (outcome{"", "grep: invalid option -- 'Y'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n"
                                          "Try 'grep --help' for more information.\n", 2, ""}));
}

// Broken patterns with GNU grep's message; each exits 2 and prints nothing else.
TEST_F(shell_test, grep_pattern_error_corpus) {
  const std::vector<std::pair<std::string, std::string>> corpus = {
      {"grep '\\(' /etc/text", "grep: Unmatched ( or \\(\n"},
      {"grep -E '(' /etc/text", "grep: Unmatched ( or \\(\n"},
      {"grep 'a\\)' /etc/text", "grep: Unmatched ) or \\)\n"},
      {"grep 'a\\{1' /etc/text", "grep: Unmatched \\{\n"},
      {"grep 'x\\{2,1\\}' /etc/text", "grep: Invalid content of \\{\\}\n"},
      {"grep '[a' /etc/text", "grep: Unmatched [, [^, [:, [., or [=\n"},
      {"grep '[[:foo:]]' /etc/text", "grep: Invalid character class name\n"},
      {"grep '[:space:]' /etc/text", "grep: character class syntax is [[:space:]], not [:space:]\n"},
      {"grep 'a\\' /etc/text", "grep: Trailing backslash\n"},
      {"grep '\\1' /etc/text", "grep: Invalid back reference\n"},
      {"grep '[z-a]' /etc/text", "grep: Invalid range end\n"},
  };
  for (const auto& [line, err] : corpus) {
    EXPECT_EQ(run(line), (outcome{"", err, 2, ""})) << line;
  }
  // A repetition that starts an ERE is a warning, and GNU ignores it.
  EXPECT_EQ(run("grep -cE '*end' /etc/text"), (outcome{"1\n", "grep: warning: * at start of expression\n", 0, ""}));
}

// ---- Text utilities ---------------------------------------------------------------

TEST_F(shell_test, echo_options) {
  EXPECT_EQ(out("echo -n x"), "x");
  EXPECT_EQ(out("echo -e 'a\\tb\\x41\\0101'"), "a\tbAA\n");
  EXPECT_EQ(out("echo 'a\\tb'"), "a\\tb\n");
  EXPECT_EQ(out("echo -e 'stop\\chere'"), "stop");
  EXPECT_EQ(out("echo -nx y"), "-nx y\n");
  EXPECT_EQ(out("echo -- -n"), "-- -n\n");
}

TEST_F(shell_test, head_tail) {
  EXPECT_EQ(out("head -n 2 /etc/numbers"), "10\n9\n");
  EXPECT_EQ(out("cat /etc/numbers | head -3"), "10\n9\n100\n");
  EXPECT_EQ(out("head -n -3 /etc/numbers"), "10\n9\n");
  EXPECT_EQ(out("head -c 4 /etc/numbers"), "10\n9");
  EXPECT_EQ(out("tail -n 2 /etc/numbers"), "-1\n9\n");
  EXPECT_EQ(out("tail -1 /etc/numbers"), "9\n");
  EXPECT_EQ(out("tail -n +4 /etc/numbers"), "-1\n9\n");
  EXPECT_EQ(out("echo -n 'a\nb' | tail -n 1"), "b");  // a last line without '\n' counts
  EXPECT_EQ(out("head -n 1 /etc/numbers /etc/text"), "==> /etc/numbers <==\n10\n\n==> /etc/text <==\nalpha beta\n");
  EXPECT_EQ(run("head -n x"), (outcome{"", "head: invalid number of lines: 'x'\n", 1, ""}));
}

TEST_F(shell_test, wc_counts) {
  EXPECT_EQ(out("cat /etc/text | wc -l"), "7\n");
  EXPECT_EQ(out("echo 'a b' | wc"), "      1       2       4\n");
  EXPECT_EQ(out("wc -l /etc/text"), "7 /etc/text\n");
  EXPECT_EQ(out("wc /etc/numbers"), " 5  5 14 /etc/numbers\n");
  EXPECT_EQ(out("wc -l /etc/text /etc/numbers"), " 7 /etc/text\n 5 /etc/numbers\n12 total\n");
  EXPECT_EQ(out("echo -n abc | wc -c"), "3\n");
  EXPECT_EQ(out("echo 'a  b c' | wc -w"), "3\n");
}

TEST_F(shell_test, sort_uniq_cut_tr) {
  EXPECT_EQ(out("sort /etc/numbers"), "-1\n10\n100\n9\n9\n");
  EXPECT_EQ(out("sort -n /etc/numbers"), "-1\n9\n9\n10\n100\n");
  EXPECT_EQ(out("sort -rn /etc/numbers"), "100\n10\n9\n9\n-1\n");
  EXPECT_EQ(out("sort -nu /etc/numbers"), "-1\n9\n10\n100\n");
  EXPECT_EQ(out("sort /etc/text | head -n 2"), "Alpha Beta\na+b (x)\n");  // C locale: bytes
  EXPECT_EQ(out("sort -n /etc/numbers | uniq -c"), "      1 -1\n      2 9\n      1 10\n      1 100\n");
  EXPECT_EQ(out("sort /etc/numbers | uniq -d"), "9\n");
  EXPECT_EQ(out("cat /sys/class/net/enp3s0f1/address | cut -d: -f 1,5-"), "00:bb:01\n");
  EXPECT_EQ(out("echo 'a b c' | cut -d ' ' -f2"), "b\n");
  EXPECT_EQ(out("echo 'no-delimiter' | cut -d: -f2"), "no-delimiter\n");
  EXPECT_EQ(out("echo abcdef | cut -c 2-4"), "bcd\n");
  EXPECT_EQ(run("cut -f 0"), (outcome{"", "cut: fields are numbered from 1\nTry 'cut --help' for more information.\n", 1, ""}));
  EXPECT_EQ(run("cut /etc/text"), (outcome{"", "cut: you must specify a list of bytes, characters, or fields\n"
                                                "Try 'cut --help' for more information.\n", 1, ""}));
  EXPECT_EQ(out("echo 00:1B:21 | tr A-Z a-z"), "00:1b:21\n");
  EXPECT_EQ(out("echo 'a:b:c' | tr : '\\n'"), "a\nb\nc\n");
  EXPECT_EQ(out("echo 'aa  bb' | tr -s ' '"), "aa bb\n");
  EXPECT_EQ(out("echo 'a1b2' | tr -d '[:digit:]'"), "ab\n");
  EXPECT_EQ(out("echo abc | tr '[:lower:]' '[:upper:]'"), "ABC\n");
  EXPECT_EQ(run("tr a"), (outcome{"", "tr: missing operand after 'a'\nTwo strings must be given when translating.\n"
                                       "Try 'tr --help' for more information.\n", 1, ""}));
}

TEST_F(shell_test, basename_dirname) {
  EXPECT_EQ(out("basename /sys/class/net/enp3s0f1/"), "enp3s0f1\n");
  EXPECT_EQ(out("basename /etc/modprobe.d/ixgbe.conf .conf"), "ixgbe\n");
  EXPECT_EQ(out("dirname /sys/class/net/enp3s0f1"), "/sys/class/net\n");
  EXPECT_EQ(out("dirname enp3s0f1"), ".\n");
  EXPECT_EQ(out("dirname /sys"), "/\n");
  EXPECT_EQ(run("basename"), (outcome{"", "basename: missing operand\nTry 'basename --help' for more information.\n", 1, ""}));
}

// ---- errno ------------------------------------------------------------------------

TEST(errno_names, linux_names_and_strerror_texts) {
  const std::vector<std::tuple<int, std::string, std::string>> table = {
      {EPERM, "EPERM", "Operation not permitted"},     {ENOENT, "ENOENT", "No such file or directory"},
      {EIO, "EIO", "Input/output error"},              {ENXIO, "ENXIO", "No such device or address"},
      {E2BIG, "E2BIG", "Argument list too long"},      {ENOEXEC, "ENOEXEC", "Exec format error"},
      {EBADF, "EBADF", "Bad file descriptor"},         {ENOMEM, "ENOMEM", "Cannot allocate memory"},
      {EACCES, "EACCES", "Permission denied"},         {EFAULT, "EFAULT", "Bad address"},
      {EBUSY, "EBUSY", "Device or resource busy"},     {EEXIST, "EEXIST", "File exists"},
      {ENODEV, "ENODEV", "No such device"},            {ENOTDIR, "ENOTDIR", "Not a directory"},
      {EISDIR, "EISDIR", "Is a directory"},            {EINVAL, "EINVAL", "Invalid argument"},
      {ENOSPC, "ENOSPC", "No space left on device"},   {EROFS, "EROFS", "Read-only file system"},
      {ERANGE, "ERANGE", "Numerical result out of range"}, {ENOSYS, "ENOSYS", "Function not implemented"},
      {EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"}, {ETIMEDOUT, "ETIMEDOUT", "Connection timed out"},
  };
  for (const auto& [value, name, message] : table) {
    EXPECT_EQ(errno_name(value), name);
    EXPECT_EQ(errno_message(value), message) << name;
  }
  EXPECT_EQ(std::string(errno_name(ENOTSUP)), "EOPNOTSUPP");  // the same number on Linux
  EXPECT_EQ(std::string(errno_name(0)), "");
  EXPECT_EQ(std::string(errno_message(9999)), "Unknown error");
}

}  // namespace
}  // namespace iovsim::host
