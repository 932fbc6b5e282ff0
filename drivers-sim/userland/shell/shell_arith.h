// Private to the host shell: bash's arithmetic evaluation (bash(1) ARITHMETIC
// EVALUATION), the $((...)) of the simulated shell. 64-bit integers that wrap,
// C's operators and precedence with ** and the assignment operators, variables by
// name (their values evaluated as expressions, empty or unset is 0).
#pragma once

#include <functional>
#include <string>

namespace iovsim::host::shell_impl {

// bash's message: `<expression>: <what> (error token is "<rest>")`.
struct arith_error {
  std::string message;
};

struct arith_vars {
  std::function<std::string(const std::string& name)> get;
  std::function<void(const std::string& name, const std::string& value)> set;
  // Nesting levels in use and the most there may be: each sub-expression (parentheses,
  // a variable's value, a chain of unary operators) takes one, and past the limit the
  // evaluation fails with "expression recursion level exceeded".
  int* nesting = nullptr;
  int max_nesting = 1024;  // expr.c MAX_EXPR_RECURSION_LEVEL
};

// Evaluates an expression whose $ expansions are already done; throws arith_error.
long long arith_eval(const std::string& expression, const arith_vars& vars);

}  // namespace iovsim::host::shell_impl
