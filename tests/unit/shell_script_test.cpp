// Host shell as scripts use it: variables and $?, command substitution and field
// splitting, arithmetic, if / for / while / until, test and [, ls -l, and the limits
// that keep a runaway loop from hanging the simulation. Each line is typed as a user
// would; expected texts and statuses are what bash 5.2 prints for the same line in an
// interactive login shell (messages start "-bash: ").
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "drivers-sim/userland/shell/shell.h"
#include "tests/unit/shell_fake_vfs.h"

namespace iovsim::host {
namespace {

const std::string NUMVFS0 = "/sys/class/net/enp3s0f0/device/sriov_numvfs";
const std::string NUMVFS1 = "/sys/class/net/enp3s0f1/device/sriov_numvfs";  // busy: VFs in use

class shell_script_test : public ::testing::Test {
 protected:
  void SetUp() override {
    m_files.add_file(NUMVFS0, "0\n");
    m_files.add_file(NUMVFS1, "4\n");
    m_files.add_file("/sys/class/net/enp3s0f0/address", "00:1b:21:aa:bb:00\n");
    m_files.add_file("/sys/class/net/enp3s0f1/address", "00:1b:21:aa:bb:01\n");
    m_files.add_file("/etc/text", "alpha beta\n  two  words here \nlast");
    m_files.add_file("/etc/empty", "");
    m_files.add_dir("/tmp");
    m_files.fail_writes(NUMVFS1, EBUSY);
  }

  outcome run(const std::string& line) {
    cmd_result r = m_shell.run(line);
    return outcome{r.out, r.err, r.status, r.errno_name};
  }
  std::string out(const std::string& line) { return m_shell.run(line).out; }

  fake_vfs m_files;
  shell m_shell{m_files};
};

// ---- Variables and $? --------------------------------------------------------------

TEST_F(shell_script_test, variables_and_last_status) {
  EXPECT_EQ(run("x=3; echo $x $?"), (outcome{"3 0\n", "", 0, ""}));
  EXPECT_EQ(run("false; echo $?"), (outcome{"1\n", "", 0, ""}));
  EXPECT_EQ(run("nosuch; echo $?"), (outcome{"127\n", "-bash: nosuch: command not found\n", 0, ""}));
  EXPECT_EQ(out("echo ${x}y \"$x\" '$x' \"\\$x\" \"a $x b\""), "3y 3 $x $x a 3 b\n");
  EXPECT_EQ(out("x=1 y=$x; echo $y"), "1\n");  // assignments go left to right
  EXPECT_EQ(out("x=a; x+=b; echo $x"), "ab\n");
  EXPECT_EQ(out("unset x; echo \"[$x]\" [$nothing]"), "[] []\n");
  EXPECT_EQ(out("echo $0 $# [$1] [$@] [$*]"), "-bash 0 [] [] []\n");  // no positional parameters
  EXPECT_EQ(out("echo $ a$ \"$\""), "$ a$ $\n");
}

TEST_F(shell_script_test, status_and_variables_persist_between_lines) {
  EXPECT_EQ(run("false"), (outcome{"", "", 1, ""}));
  EXPECT_EQ(out("echo $?"), "1\n");
  EXPECT_EQ(run("v=kept"), (outcome{"", "", 0, ""}));
  EXPECT_EQ(out("echo $v $?"), "kept 0\n");
}

TEST_F(shell_script_test, assignment_status_and_scope) {
  EXPECT_EQ(out("x=$(false); echo $?"), "1\n");     // an assignment-only line takes the substitution's status
  EXPECT_EQ(out("x=1; x=2 true; echo $x"), "1\n");  // NAME=value before a command is for that command only
  EXPECT_EQ(out("IFS=: read a b < /etc/text; echo \"[$a][$b][$IFS]\""), "[alpha beta][][]\n");
}

TEST_F(shell_script_test, no_environment_of_the_real_process) {
  ::setenv("IOVSIM_SHELL_LEAK", "leaked", 1);
  EXPECT_EQ(out("echo \"[$IOVSIM_SHELL_LEAK][$HOME]\" $PATH"),
            "[][] /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
  ::unsetenv("IOVSIM_SHELL_LEAK");
}

TEST_F(shell_script_test, export_sets_and_lists) {
  EXPECT_EQ(run("export A='x  y' B; echo \"$A\""), (outcome{"x  y\n", "", 0, ""}));
  EXPECT_EQ(out("export -p | grep -e A= -e ' B'"), "declare -x A=\"x  y\"\ndeclare -x B\n");
  EXPECT_EQ(run("export 1x=3; echo $?"), (outcome{"1\n", "-bash: export: `1x=3': not a valid identifier\n", 0, ""}));
}

TEST_F(shell_script_test, parameter_expansion_forms) {
  EXPECT_EQ(out("echo ${#x} ${x:-d} ${x-e} ${y:=f} $y"), "0 d e f f\n");
  EXPECT_EQ(out("x=; echo [${x:-d}] [${x-e}] [${x:+p}] [${x+q}]"), "[d] [] [] [q]\n");
  EXPECT_EQ(out("p=/sys/class/net/enp3s0f1; echo ${p##*/} ${p%/*} ${p#/} ${p%%/*}x"),
            "enp3s0f1 /sys/class/net sys/class/net/enp3s0f1 x\n");
  // Double quotes around ${...} leave its pattern a pattern; quotes inside it do not
  // (bash 5.2), in words and in arithmetic, which expands as in double quotes.
  EXPECT_EQ(out(R"(x=a.b.c; y="*"; echo "${x%$y}" "${x%.$y}" ${x%.$y} "${x%".*"}" ${x%".*"} "${x%\*}")"),
            "a.b.c a.b a.b a.b.c a.b.c a.b.c\n");
  EXPECT_EQ(out("bw=32.000; echo $((${bw%.*} * 1000))"), "32000\n");
  EXPECT_EQ(out("for w in ${nope:-a  b}; do echo \"[$w]\"; done"), "[a]\n[b]\n");
  EXPECT_EQ(run("echo ${u:?is required}; echo after"), (outcome{"", "-bash: u: is required\n", 1, ""}));
  EXPECT_EQ(run("echo ${u?}"), (outcome{"", "-bash: u: parameter not set\n", 1, ""}));
  EXPECT_EQ(out("x=hello; echo ${x:1} ${x:1:3} ${x: -2} ${x:10} \"[${x:2:0}]\" ${x:(-3):2} ${x:1:-1}"),
            "ello ell lo [] ll ell\n");
  EXPECT_EQ(run("x=hello; echo ${x:1:-9}"), (outcome{"", "-bash: -9: substring expression < 0\n", 1, ""}));
  EXPECT_EQ(out("x=hello; echo ${x/l/L} ${x//l/L} ${x/#h/H} ${x/%o/O} ${x/#e/E} ${x//[el]/_} ${x/l*/X} ${x/z/y}"),
            "heLlo heLLo Hello hellO hello h___o heX hello\n");
  EXPECT_EQ(out("s=a/b/c; echo \"${s//\\//|}\" ${s//\\//}"), "a|b|c abc\n");
  EXPECT_EQ(out("x=hello; y=HeLLo; echo ${x^} ${x^^} ${y,} ${y,,}"), "Hello HELLO heLLo hello\n");
  EXPECT_EQ(out("echo $'a\\tb' $'it\\'s' $'\\x41\\102' \"$'x'\""), "a\tb it's AB $'x'\n");
  EXPECT_EQ(out("for w in \"$@\" x; do echo \"[$w]\"; done"), "[x]\n");  // "$@" without parameters is no word
}

// An expansion error ends the rest of the line, as in an interactive bash.
TEST_F(shell_script_test, bad_substitution_ends_the_line) {
  EXPECT_EQ(run("echo a; echo ${x!}; echo b"), (outcome{"a\n", "-bash: ${x!}: bad substitution\n", 1, ""}));
  EXPECT_EQ(run("echo ${1x}"), (outcome{"", "-bash: ${1x}: bad substitution\n", 1, ""}));
  EXPECT_EQ(out("echo $?"), "1\n");
}

// ---- Command substitution and field splitting ----------------------------------------

TEST_F(shell_script_test, for_over_command_substitution) {
  EXPECT_EQ(run("for d in $(ls /sys/class/net); do echo $d; done"), (outcome{"enp3s0f0\nenp3s0f1\n", "", 0, ""}));
  EXPECT_EQ(out("echo $(ls /sys/class/net)"), "enp3s0f0 enp3s0f1\n");       // split on the newline
  EXPECT_EQ(out("echo \"$(ls /sys/class/net)\""), "enp3s0f0\nenp3s0f1\n");  // not split in "..."
  EXPECT_EQ(out("echo $(echo $(echo deep) er)"), "deep er\n");
  EXPECT_EQ(out("echo `echo old` \"`echo style`\""), "old style\n");
  EXPECT_EQ(out("x=$(echo -e 'a\\n\\n\\n'); echo \"[$x]\""), "[a]\n");  // trailing newlines removed
}

TEST_F(shell_script_test, substitution_is_a_subshell) {
  EXPECT_EQ(out("x=1; y=$(x=2; echo $x); echo $x $y"), "1 2\n");
  EXPECT_EQ(out("echo $(cd /sys; pwd); pwd"), "/sys\n/\n");
  EXPECT_EQ(run("x=$(cat /nope); echo \"[$x] $?\""),
            (outcome{"[] 1\n", "cat: /nope: No such file or directory\n", 0, "ENOENT"}));
  EXPECT_EQ(run("echo $(echo a"), (outcome{"", "-bash: unexpected EOF while looking for matching `)'\n", 2, ""}));
  EXPECT_EQ(run("echo $(echo a |)"), (outcome{"", "-bash: syntax error: unexpected end of file\n", 2, ""}));
}

TEST_F(shell_script_test, field_splitting_follows_ifs) {
  EXPECT_EQ(out("x='  a  b  '; for w in $x; do echo \"[$w]\"; done"), "[a]\n[b]\n");
  EXPECT_EQ(out("IFS=:; x=a::b:; for w in $x; do echo \"[$w]\"; done"), "[a]\n[]\n[b]\n");
  EXPECT_EQ(out("unset IFS; x=; for w in $x \"\" \"$x\" ''$x; do echo \"[$w]\"; done"), "[]\n[]\n[]\n");
  EXPECT_EQ(out("p='/sys/class/net/*'; echo $p; echo \"$p\""),
            "/sys/class/net/enp3s0f0 /sys/class/net/enp3s0f1\n/sys/class/net/*\n");
}

// ---- Arithmetic ---------------------------------------------------------------------

TEST_F(shell_script_test, arithmetic_expansion) {
  EXPECT_EQ(out("echo $((1+2*3)) $((7/2)) $((-7%3)) $((2**10)) $((1<<4)) $((0x1f)) $((010)) $((2#101)) $(( ))"),
            "7 3 -1 1024 16 31 8 5 0\n");
  EXPECT_EQ(out("i=5; echo $((i++)) $i $((++i)) $((i+=10)) $((i>20 ? 1 : 2)) $((!i)) $((~0))"), "5 6 7 17 2 0 -1\n");
  EXPECT_EQ(out("x=y; y=3; echo $((x+1)) $(( $y * 2 )) $((z))"), "4 6 0\n");
  EXPECT_EQ(out("echo $((0 && 1/0)) $((9223372036854775807+1)) $((2**63)) $((1<<65))"),
            "0 -9223372036854775808 -9223372036854775808 2\n");
}

TEST_F(shell_script_test, arithmetic_commands) {
  EXPECT_EQ(out("((x = 3 + 4)); echo $x $?; ((0)); echo $?"), "7 0\n1\n");
  EXPECT_EQ(run("(( 1/0 )); echo $?"),
            (outcome{"1\n", "-bash: ((: 1/0 : division by 0 (error token is \"0 \")\n", 0, ""}));
  EXPECT_EQ(out("for ((i = 0; i < 3; i++)); do echo $i; done; echo end $i"), "0\n1\n2\nend 3\n");
  EXPECT_EQ(out("for ((;;)) do echo once; break; done"), "once\n");
  EXPECT_EQ(out("i=0; while ((i < 2)); do ((i++)); done; echo $i"), "2\n");
  EXPECT_EQ(out("((echo sub) )"), "sub\n");  // two subshells, not arithmetic
  EXPECT_EQ(run("for ((;;)); do :; done").err,
            "-bash: for: loop stopped after 100000 iterations (the simulated shell never hangs)\n");
}

TEST_F(shell_script_test, arithmetic_error_corpus) {
  const std::vector<std::pair<std::string, std::string>> corpus = {
      {"echo $((1/0)); echo after", "-bash: 1/0: division by 0 (error token is \"0\")\n"},
      {"echo $((1 +)); echo after", "-bash: 1 +: syntax error: operand expected (error token is \"+\")\n"},
      {"echo $(( 5 % 0 ))", "-bash: 5 % 0 : division by 0 (error token is \"0 \")\n"},
      {"echo $((1 2))", "-bash: 1 2: syntax error in expression (error token is \"2\")\n"},
      {"echo $((09))", "-bash: 09: value too great for base (error token is \"09\")\n"},
      {"echo $((2**-1))", "-bash: 2**-1: exponent less than 0 (error token is \"1\")\n"},
      {"echo $((3=4))", "-bash: 3=4: attempted assignment to non-variable (error token is \"=4\")\n"},
      {"echo $((1 $ 2))", "-bash: 1 $ 2: syntax error: invalid arithmetic operator (error token is \"$ 2\")\n"},
      {"echo $((1 ? 2))", "-bash: 1 ? 2: `:' expected for conditional expression (error token is \"2\")\n"},
      {"echo $((100#1))", "-bash: 100#1: invalid arithmetic base (error token is \"100#1\")\n"},
      {"x=x; echo $((x))", "-bash: x: expression recursion level exceeded (error token is \"x\")\n"},
  };
  for (const auto& [line, err] : corpus) EXPECT_EQ(run(line), (outcome{"", err, 1, ""})) << line;
}

// ---- Compound commands -----------------------------------------------------------

TEST_F(shell_script_test, enable_vfs_on_every_port_in_one_line) {
  EXPECT_EQ(
      run("for p in $(ls /sys/class/net); do echo 2 > /sys/class/net/$p/device/sriov_numvfs || echo \"$p busy\"; done"),
      (outcome{"enp3s0f1 busy\n", "-bash: echo: write error: Device or resource busy\n", 0, "EBUSY"}));
  EXPECT_EQ(m_files.content(NUMVFS0), "2\n");
}

TEST_F(shell_script_test, if_elif_else) {
  EXPECT_EQ(run("if [ -d /etc ]; then echo yes; else echo no; fi"), (outcome{"yes\n", "", 0, ""}));
  EXPECT_EQ(out("if [ -d /nope ]; then echo dir; elif [ -f /etc/text ]; then echo file; else echo none; fi"), "file\n");
  EXPECT_EQ(out("if false; then echo a; elif false; then echo b; else echo c; fi"), "c\n");
  EXPECT_EQ(out("if false; then :; fi; echo $?"), "0\n");  // no condition held: 0
  EXPECT_EQ(run("if true; then false; fi"), (outcome{"", "", 1, ""}));
  EXPECT_EQ(out("if grep -q beta /etc/text && ! grep -q zeta /etc/text; then echo both; fi"), "both\n");
}

TEST_F(shell_script_test, case_patterns) {
  EXPECT_EQ(
      out("for d in lo enp3s0f0 enp3s0f1 x; do case $d in lo) continue;; enp*f0|eth0) echo first;; enp*) echo port "
          "$d;; *) echo other;; esac; done"),
      "first\nport enp3s0f1\nother\n");
  EXPECT_EQ(
      out("case a in b) echo b; esac; echo $?; case a in (a) ;; esac; echo $?; case a in a) false;; esac; echo $?"),
      "0\n0\n1\n");
  EXPECT_EQ(out("case 'a b' in \"a b\") echo quoted;; esac; case '*' in \\*) echo star; esac"), "quoted\nstar\n");
  EXPECT_EQ(out("case x in\n  [a-z]) echo class\n    ;;\nesac"), "class\n");
  EXPECT_EQ(run("case x in a) echo;; b echo;; esac"),
            (outcome{"", "-bash: syntax error near unexpected token `echo'\n", 2, ""}));
  EXPECT_EQ(run("case x in *) echo star;;"), (outcome{"", "-bash: syntax error: unexpected end of file\n", 2, ""}));
}

TEST_F(shell_script_test, while_and_until_loops) {
  EXPECT_EQ(run("i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done"), (outcome{"0\n1\n2\n", "", 0, ""}));
  EXPECT_EQ(out("i=0; until [ $i -ge 2 ]; do i=$((i+1)); done; echo $i"), "2\n");
  EXPECT_EQ(out("while false; do :; done; echo $?"), "0\n");
  EXPECT_EQ(out("for i in; do echo x; done; echo $?"), "0\n");
  EXPECT_EQ(out("for i in 1 2 3; do echo $i; done | wc -l"), "3\n");
}

TEST_F(shell_script_test, read_takes_lines_from_the_input) {
  EXPECT_EQ(out("ls /sys/class/net | while read d; do echo \"<$d>\"; done"), "<enp3s0f0>\n<enp3s0f1>\n");
  // A last line without its newline ends the loop, as in bash: read returns 1.
  EXPECT_EQ(out("while read a b; do echo \"[$a|$b]\"; done < /etc/text"), "[alpha|beta]\n[two|words here]\n");
  EXPECT_EQ(out("{ read a; read b; read c; echo \"$? [$c]\"; } < /etc/text"), "1 [last]\n");
  EXPECT_EQ(out("echo 'a\\b c' | { read x; read -r y; echo \"[$x][$y]\"; }"), "[ab c][]\n");
  EXPECT_EQ(out("echo 'a\\b' | { read -r x; echo \"[$x] $?\"; }"), "[a\\b] 0\n");
  EXPECT_EQ(run("read x < /etc/empty; echo $?"), (outcome{"1\n", "", 0, ""}));
  EXPECT_EQ(run("read 1x < /etc/empty"), (outcome{"", "-bash: read: `1x': not a valid identifier\n", 1, ""}));
  // Each command of a pipeline is a subshell: what it sets stays there, as in bash.
  EXPECT_EQ(out("x=0; echo 1 | read x; echo $x"), "0\n");
  EXPECT_EQ(out("ls /sys/class/net | while read d; do last=$d; done; echo \"[$last]\""), "[]\n");
  EXPECT_EQ(out("ls /sys/class/net | { read a; read b; echo \"$b $a\"; }"), "enp3s0f1 enp3s0f0\n");
}

TEST_F(shell_script_test, break_and_continue) {
  EXPECT_EQ(out("for i in 1 2 3 4; do if [ $i = 2 ]; then continue; fi; if [ $i = 4 ]; then break; fi; echo $i; done"),
            "1\n3\n");
  EXPECT_EQ(out("for i in 1 2; do for j in a b; do echo $i$j; continue 2; done; done"), "1a\n2a\n");
  EXPECT_EQ(out("i=0; while true; do i=$((i+1)); if [ $i -ge 5 ]; then break; fi; done; echo $i"), "5\n");
  EXPECT_EQ(out("for i in 1 2; do { echo in$i; break; } > /tmp/b; done; cat /tmp/b"), "in1\n");
  EXPECT_EQ(run("break; echo $?"),
            (outcome{"0\n", "-bash: break: only meaningful in a `for', `while', or `until' loop\n", 0, ""}));
  EXPECT_EQ(run("for i in 1 2; do break 0; done"), (outcome{"", "-bash: break: 0: loop count out of range\n", 1, ""}));
}

TEST_F(shell_script_test, negation_groups_and_subshells) {
  EXPECT_EQ(out("! false; echo $?; ! true; echo $?; ! ! false; echo $?"), "0\n1\n1\n");
  EXPECT_EQ(out("{ echo a; echo b; } > /tmp/ab; cat /tmp/ab"), "a\nb\n");
  EXPECT_EQ(out("{ echo a; echo b; } | wc -l"), "2\n");
  EXPECT_EQ(out("(cd /sys; x=5; echo in $x); pwd; echo \"[$x]\""), "in 5\n/\n[]\n");
  EXPECT_EQ(out("sh -c 'echo a; exit 3; echo b'; echo $?"), "a\n3\n");
  EXPECT_EQ(out("(exit 4); echo $?"), "4\n");
}

TEST_F(shell_script_test, lines_separated_by_newlines) {
  EXPECT_EQ(run("for i in 1 2\ndo\n  echo $i\ndone\necho end"), (outcome{"1\n2\nend\n", "", 0, ""}));
  EXPECT_EQ(out("if true\nthen\n  echo yes # a comment\nfi"), "yes\n");
  EXPECT_EQ(out("echo a &&\necho b |\ncat"), "a\nb\n");
}

// Each broken line with bash's error; nothing of the line runs.
TEST_F(shell_script_test, compound_syntax_error_corpus) {
  const std::vector<std::pair<std::string, std::string>> corpus = {
      {"for x in a b; do echo $x", "-bash: syntax error: unexpected end of file\n"},
      {"if true; then echo; fi fi", "-bash: syntax error near unexpected token `fi'\n"},
      {"then echo", "-bash: syntax error near unexpected token `then'\n"},
      {"while true; do; done", "-bash: syntax error near unexpected token `;'\n"},
      {"if true; then fi", "-bash: syntax error near unexpected token `fi'\n"},
      {"done", "-bash: syntax error near unexpected token `done'\n"},
      {"echo a; }", "-bash: syntax error near unexpected token `}'\n"},
      {"for x in a b c do echo; done", "-bash: syntax error near unexpected token `done'\n"},
      {"if true then echo; fi", "-bash: syntax error near unexpected token `fi'\n"},
      {"while", "-bash: syntax error: unexpected end of file\n"},
      {"echo ${x", "-bash: unexpected EOF while looking for matching `}'\n"},
      {"f() { echo; }", "-bash: function definitions are not supported by the simulated shell\n"},
      {"for i in 1; do echo; done echo", "-bash: syntax error near unexpected token `echo'\n"},
  };
  for (const auto& [line, err] : corpus) EXPECT_EQ(run(line), (outcome{"", err, 2, ""})) << line;
  EXPECT_TRUE(m_files.writes.empty());
  EXPECT_EQ(run("for 1x in a; do echo; done"), (outcome{"", "-bash: `1x': not a valid identifier\n", 1, ""}));
}

// The shell never hangs: a loop that does not end is stopped with a message, and the
// next line starts with a fresh allowance.
TEST_F(shell_script_test, runaway_loops_are_stopped) {
  EXPECT_EQ(
      run("while true; do true; done; echo after"),
      (outcome{"", "-bash: while: loop stopped after 100000 iterations (the simulated shell never hangs)\n", 1, ""}));
  EXPECT_EQ(out("echo $?"), "1\n");
  const cmd_result r = m_shell.run("i=0; until false; do i=$((i+1)); echo $i; done");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.substr(r.out.size() - 7), "100000\n");  // every iteration until the limit printed
  EXPECT_EQ(r.err, "-bash: until: loop stopped after 100000 iterations (the simulated shell never hangs)\n");
  // All loops of a line share the allowance: nesting does not multiply it.
  EXPECT_EQ(run("for i in 1 2 3; do while :; do :; done; done").status, 1);
  EXPECT_EQ(run("x=ab; while true; do x=$x$x; done").err,
            "-bash: x: value of 33554432 bytes is over the simulated shell's limit of 16777216\n");
  EXPECT_EQ(run("c='sh -c \"$c\"'; sh -c \"$c\"").err,
            "-bash: nesting deeper than 40 levels (the simulated shell's limit)\n");
  EXPECT_EQ(out("echo ok"), "ok\n");
}

// ---- test and [ -------------------------------------------------------------------

// Status 0 true, 1 false, 2 error with bash's message (bash 5.2 test.c).
TEST_F(shell_script_test, test_corpus) {
  struct row {
    std::string line;
    int status;
    std::string err;
  };
  const std::vector<row> corpus = {
      {"[ 1 -eq 1 ]", 0, ""},
      {"test 2 -gt 10", 1, ""},
      {"[ -2 -lt +3 ]", 0, ""},
      {"test ' 12 ' -eq 12", 0, ""},
      {"[ abc = abc ]", 0, ""},
      {"[ abc != abc ]", 1, ""},
      {"[ abc == abd ]", 1, ""},
      {"[ -n '' ]", 1, ""},
      {"[ -z '' ]", 0, ""},
      {"test -n", 0, ""},  // one argument: true when not empty
      {"[ ]", 1, ""},
      {"[ ! ]", 0, ""},
      {"test ! -z x", 0, ""},
      {"test 1 -lt 2 -a 3", 0, ""},
      {"[ a = b -o c = c ]", 0, ""},
      {"[ ! a = b -a \\( x != y \\) ]", 0, ""},
      {"test = = =", 0, ""},
      {"[ 1 -eq x ]", 2, "-bash: [: x: integer expression expected\n"},
      {"test 1 -eq x", 2, "-bash: test: x: integer expression expected\n"},
      {"test 1 -eq ''", 2, "-bash: test: : integer expression expected\n"},
      {"[ 99999999999999999999 -gt 1 ]", 2, "-bash: [: 99999999999999999999: integer expression expected\n"},
      {"[ a", 2, "-bash: [: missing `]'\n"},
      {"[ a b ]", 2, "-bash: [: a: unary operator expected\n"},
      {"[ a b c ]", 2, "-bash: [: b: binary operator expected\n"},
      {"test a -eq", 2, "-bash: test: a: unary operator expected\n"},
      {"[ a b c d e ]", 2, "-bash: [: too many arguments\n"},
      {"test ! a = b c", 2, "-bash: test: too many arguments\n"},
      {"[ 1 -eq 1 ] ]", 2, "-bash: [: too many arguments\n"},
      {"[ '(' a = a ]", 2, "-bash: [: `)' expected, found ]\n"},
      {"test '(' a = a", 2, "-bash: test: `)' expected\n"},
  };
  for (const auto& r : corpus) EXPECT_EQ(run(r.line), (outcome{"", r.err, r.status, ""})) << r.line;
}

// [[ ]]: no splitting, patterns for == and !=, regular expressions for =~, arithmetic
// operands, && || ( ) inside.
TEST_F(shell_script_test, double_bracket_conditionals) {
  const std::vector<std::pair<std::string, std::string>> corpus = {
      {"x='a b'; [[ $x == \"a b\" ]]; echo $?", "0\n"},
      {"[[ enp3s0f1 == enp* ]]; echo $?", "0\n"},
      {"[[ abc == \"a*\" ]]; echo $?", "1\n"},
      {"[[ 1+1 -eq 2 ]]; echo $?", "0\n"},
      {"[[ abc =~ ^a(b|z)c$ ]]; echo $? $BASH_REMATCH", "0 abc\n"},
      {"[[ abc =~ \"a.c\" ]]; echo $?", "1\n"},
      {"[[ a.c =~ a\\.c ]]; echo $?", "0\n"},
      {"[[ x =~ [ ]]; echo $?", "2\n"},  // a regular expression that does not compile
      {"[[ a < b && ( c > b || 1 -eq 2 ) ]]; echo $?", "0\n"},
      {"[[ ! -d /nope && -f /etc/text ]]; echo $?", "0\n"},
      {"[[ -z '' || $(echo hi) == x ]]; echo $?", "0\n"},
  };
  for (const auto& [line, expected] : corpus) EXPECT_EQ(run(line), (outcome{expected, "", 0, ""})) << line;
  EXPECT_EQ(run("[[ a+ -eq 1 ]]"),
            (outcome{"", "-bash: [[: a+: syntax error: operand expected (error token is \"+\")\n", 1, ""}));
  const std::vector<std::pair<std::string, std::string>> errors = {
      {"[[ -f ]]", "-bash: unexpected argument `]]' to conditional unary operator\n"},
      {"[[ a b ]]", "-bash: conditional binary operator expected\n"},
      {"[[ a = ]]", "-bash: unexpected argument `]]' to conditional binary operator\n"},
      {"[[ ( a ]]", "-bash: unexpected token `]]', expected `)'\n"},
  };
  for (const auto& [line, err] : errors) EXPECT_EQ(run(line), (outcome{"", err, 2, ""})) << line;
}

TEST_F(shell_script_test, test_files) {
  m_files.add_file("/sys/class/net/enp3s0f0/device/driver", "");
  m_files.add_link("/sys/class/net/enp3s0f0/device/driver", "../../../../bus/pci/drivers/ixgbe");
  m_files.add_dir("/sys/bus/pci/drivers/ixgbe");
  const std::vector<std::pair<std::string, int>> corpus = {
      {"[ -e /etc/text ]", 0},
      {"[ -e /nope ]", 1},
      {"[ -f /etc/text ]", 0},
      {"[ -f /etc ]", 1},
      {"[ -d /etc ]", 0},
      {"[ -d /etc/text ]", 1},
      {"[ -r /etc/text ]", 0},
      {"[ -w " + NUMVFS1 + " ]", 0},
      {"[ -x /etc ]", 0},
      {"[ -x /etc/text ]", 1},
      {"[ -s /etc/text ]", 0},
      {"[ -e '' ]", 1},
      {"[ -L /sys/class/net/enp3s0f0/device/driver ]", 0},
      {"[ -h /etc/text ]", 1},
      {"[ -d /sys/class/net/enp3s0f0/device/driver ]", 0},
      {"test -v PATH", 0},
      {"test -v NOPE", 1},
  };
  for (const auto& [line, status] : corpus) EXPECT_EQ(run(line), (outcome{"", "", status, ""})) << line;
  // What the file system tells: an empty tmpfs file has size 0.
  m_files.add_stat("/etc/empty", fs_stat{0, '-', 0644, 0});
  EXPECT_EQ(run("[ -s /etc/empty ]").status, 1);
}

// ---- ls -l --------------------------------------------------------------------------

TEST_F(shell_script_test, ls_long_format_without_file_system_details) {
  // A directory with a file, a link and a subdirectory; the fake says nothing of modes,
  // so files look like sysfs attributes (4096 bytes), directories and links 0.
  m_files.add_file("/sys/dev/0000:03:00.0/vendor", "0x8086\n");
  m_files.add_file("/sys/dev/0000:03:00.0/power/control", "auto\n");
  m_files.add_file("/sys/dev/0000:03:00.0/driver", "");
  m_files.add_link("/sys/dev/0000:03:00.0/driver", "../../bus/pci/drivers/ixgbe");
  EXPECT_EQ(run("ls -l /sys/dev/0000:03:00.0"),
            (outcome{"total 0\n"
                     "lrwxrwxrwx 1 root root    0 Jan  1 00:00 driver -> ../../bus/pci/drivers/ixgbe\n"
                     "drwxr-xr-x 2 root root    0 Jan  1 00:00 power\n"
                     "-rw-r--r-- 1 root root 4096 Jan  1 00:00 vendor\n",
                     "", 0, ""}));
  EXPECT_EQ(out("cd /sys/dev; ls -la 0000:03:00.0 | head -n 3"),
            "total 0\ndrwxr-xr-x 3 root root    0 Jan  1 00:00 .\ndrwxr-xr-x 3 root root    0 Jan  1 00:00 ..\n");
  // A link named as an operand is listed itself; with a slash, what it points to.
  EXPECT_EQ(out("ls -l /sys/dev/0000:03:00.0/driver /etc/text"),
            "-rw-r--r-- 1 root root 4096 Jan  1 00:00 /etc/text\n"
            "lrwxrwxrwx 1 root root    0 Jan  1 00:00 /sys/dev/0000:03:00.0/driver -> ../../bus/pci/drivers/ixgbe\n");
  EXPECT_EQ(out("ls -ld /etc"), "drwxr-xr-x 2 root root 0 Jan  1 00:00 /etc\n");
  EXPECT_EQ(out("ls -1 /sys/dev/0000:03:00.0"), "driver\npower\nvendor\n");
  EXPECT_EQ(out("ls -l1 /sys/dev"), "0000:03:00.0\n");  // the last format option wins
  EXPECT_EQ(run("ls -l /nope"), (outcome{"", "ls: cannot access '/nope': No such file or directory\n", 2, "ENOENT"}));
}

TEST_F(shell_script_test, ls_long_format_with_kernel_modes) {
  // What kernfs::lstat reports: attribute modes by show/store, a page as size; a tmpfs
  // file its length, which counts in `total` (4 KiB pages in 1 KiB blocks).
  m_files.add_stat("/sys/class/net/enp3s0f0/device/sriov_numvfs", fs_stat{0, '-', 0644, 4096});
  m_files.add_stat("/sys/class/net/enp3s0f0/device/remove", fs_stat{0, '-', 0200, 4096});
  m_files.add_file("/sys/class/net/enp3s0f0/device/remove", "");
  m_files.add_stat("/sys/class/net/enp3s0f0/address", fs_stat{0, '-', 0444, 4096});
  m_files.add_stat("/sys/class/net/enp3s0f0/device", fs_stat{0, 'd', 0755, 0});
  EXPECT_EQ(out("ls -l /sys/class/net/enp3s0f0/device"),
            "total 0\n"
            "--w------- 1 root root 4096 Jan  1 00:00 remove\n"
            "-rw-r--r-- 1 root root 4096 Jan  1 00:00 sriov_numvfs\n");
  EXPECT_EQ(out("ls -l /sys/class/net/enp3s0f0/address"),
            "-r--r--r-- 1 root root 4096 Jan  1 00:00 /sys/class/net/enp3s0f0/address\n");
  m_files.add_stat("/etc/text", fs_stat{0, '-', 0644, 31});
  m_files.add_stat("/etc/empty", fs_stat{0, '-', 0644, 0});
  EXPECT_EQ(out("ls -l /etc"),
            "total 4\n"
            "-rw-r--r-- 1 root root  0 Jan  1 00:00 empty\n"
            "-rw-r--r-- 1 root root 31 Jan  1 00:00 text\n");
}

TEST_F(shell_script_test, tab_completes_commands_and_simulated_paths) {
  m_shell.add_command(
      "lspci", [](const std::vector<std::string>&, const std::string&) { return cmd_result{}; }, "list");
  m_files.add_file("/sys/class/net/.hidden", "");
  using list = std::vector<std::string>;
  auto complete = [&](const std::string& line) {  // the word under the cursor, at the end
    const size_t start = line.find_last_of(" ;|") == std::string::npos ? 0 : line.find_last_of(" ;|") + 1;
    return m_shell.completions(line, start, line.size());
  };
  EXPECT_EQ(complete("ls"), (list{"ls", "lspci"}));
  EXPECT_EQ(complete("echo a |gr"), (list{"grep"}));
  EXPECT_EQ(complete("sudo un"), (list{"uniq", "unset"}));
  EXPECT_EQ(complete("cat /sys/class/net/en"), (list{"/sys/class/net/enp3s0f0/", "/sys/class/net/enp3s0f1/"}));
  EXPECT_EQ(complete("cat /sys/class/net/enp3s0f1/a"), (list{"/sys/class/net/enp3s0f1/address"}));
  EXPECT_EQ(complete("ls /sys/class/net/"), (list{"/sys/class/net/enp3s0f0/", "/sys/class/net/enp3s0f1/"}));
  EXPECT_EQ(complete("ls /sys/class/net/."), (list{"/sys/class/net/.hidden"}));
  EXPECT_EQ(complete("ls /nope/x"), list{});
  m_shell.run("cd /sys/class");
  EXPECT_EQ(complete("ls ne"), (list{"net/"}));
  EXPECT_EQ(complete("cat net/enp3s0f0/ad"), (list{"net/enp3s0f0/address"}));
  EXPECT_EQ(complete("x ../../et"), (list{"../../etc/"}));  // not a command: a path
}

TEST_F(shell_script_test, command_names_for_completion) {
  m_shell.add_command(
      "lspci", [](const std::vector<std::string>&, const std::string&) { return cmd_result{}; }, "list");
  const auto names = m_shell.command_names();
  for (const char* n : {"[", "cd", "export", "grep", "ls", "lspci", "read", "test", "unset"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

}  // namespace
}  // namespace iovsim::host
