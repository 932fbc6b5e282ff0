// Private to the host shell: the tokens and the syntax tree of bash's grammar
// (bash(1) SHELL GRAMMAR) as far as the simulated shell goes: lists with ; && || and
// newlines, pipelines with !, simple commands with assignments and redirections, and
// the compound commands if, for, while, until, case, { list; }, ( list ), (( )) and
// [[ ]]. Words keep
// their quotes: they are expanded when the command runs (bash(1) EXPANSION), so a
// loop sees the variables of each iteration.
#pragma once

#include <string>
#include <vector>

#include "drivers-sim/userland/shell/shell.h"

namespace iovsim::host::shell_impl {

// A line bash refuses before running any of it; the message without "-bash: ".
struct syntax_error {
  std::string message;
};

// Levels of the reader's recursion in use (compound commands, $(...) and quotes
// inside each other), bounded like the interpreter's for the same stack.
inline thread_local int g_reader_nesting = 0;

class reader_nesting {
 public:
  reader_nesting() {
    if (g_reader_nesting >= shell::MAX_NESTING)
      throw syntax_error{"syntax error: nesting deeper than " + std::to_string(shell::MAX_NESTING) +
                         " levels (the simulated shell's limit)"};
    ++g_reader_nesting;
  }
  ~reader_nesting() { --g_reader_nesting; }
  reader_nesting(const reader_nesting&) = delete;
  reader_nesting& operator=(const reader_nesting&) = delete;
};

struct token {
  bool is_op = false;
  std::string op;       // "|", "&&", "||", ";", "\n", "(", ")", ">", ">>", "<", ">&", "&>", ...;
                        // "((": an arithmetic command, its expression in `word`
  int fd = -1;          // the N of N> / N< (-1: the operator's default)
  std::string word;     // a word as typed, quotes included
  bool spaced = false;  // blanks before it: [[ x =~ a(b) ]] joins what touches
};

// bash's token recognition (bash(1) QUOTING, DEFINITIONS: metacharacters). Command
// substitutions in words are parsed too, so their syntax errors refuse the line.
std::vector<token> tokenize(const std::string& line);

// Where $(...), ${...} or `...` that starts at `i` (at the '$' or '`') ends: the index
// after its closing character. Throws syntax_error when it is not closed.
size_t skip_expansion(const std::string& s, size_t i);
// Where $'...' that starts at `i` ends (bash(1) QUOTING: ANSI-C quoting).
size_t skip_ansi_c(const std::string& s, size_t i);
// Where the group that opens with the ( or { at `i` closes, quotes and nested
// expansions skipped: the index after its closing character.
size_t skip_group(const std::string& s, size_t i);

struct redirect {
  int fd;          // the descriptor redirected (1 for >, 0 for <, -1 for &>)
  std::string op;  // ">", ">>", "<", ">&", "&>", "&>>"
  std::string target;
};

struct command;

struct pipeline {
  bool negate = false;  // `! pipeline`: the status inverted
  std::vector<command> stages;
};

struct list_item {
  pipeline p;
  std::string connector;  // how it joins the previous item: "", ";", "&&", "||"
};

using list = std::vector<list_item>;

struct if_branch {
  list condition;
  list body;
};

struct case_item {
  std::vector<std::string> patterns;  // as typed
  list body;
};

struct command {
  enum class kind {
    simple,
    if_clause,
    for_clause,
    for_arith,
    while_clause,
    until_clause,
    case_clause,
    brace_group,
    subshell,
    arith,
    conditional
  };
  kind type = kind::simple;
  std::vector<std::string> assignments;  // simple: NAME=value words before the command name
  std::vector<std::string> words;        // simple: the command and its arguments; for: the list after `in`;
                                         // (( e )): e; for (( a; b; c )): a, b, c
  std::vector<redirect> redirects;
  std::vector<if_branch> branches;  // if/elif (and the one condition of while/until)
  list else_body;                   // if: the else part
  list body;                        // for, while, until, { }, ( )
  std::vector<case_item> items;     // case
  std::string name;                 // for: the variable; case: the word
  bool has_in = false;              // for: `in WORDS` given
  std::vector<token> condition;     // [[ ... ]]: the tokens between the brackets
};

// What the leaves of a [[ ... ]] expression do when it is evaluated (words as typed).
class conditional_leaves {
 public:
  virtual ~conditional_leaves() = default;
  virtual bool word(const std::string& w) = 0;
  virtual bool unary(const std::string& op, const std::string& w) = 0;
  virtual bool binary(const std::string& op, const std::string& lhs, const std::string& rhs) = 0;
};

// Reads a [[ ... ]] expression (bash(1) Compound Commands: ( ) ! && || and test's
// operators, == != =~ < >) and evaluates it with `leaves`, the side not taken of
// && and || unevaluated; with no leaves only checks it. Throws syntax_error.
bool conditional(const std::vector<token>& tokens, conditional_leaves* leaves);

// The commands of a line (or of several lines separated by newlines). Throws
// syntax_error with bash's words.
list parse(const std::vector<token>& tokens);

// NAME=... where NAME is a valid identifier (bash(1) DEFINITIONS: name): the length
// of NAME, or 0.
size_t assignment_name_length(const std::string& word);
bool valid_name(const std::string& name);

}  // namespace iovsim::host::shell_impl
