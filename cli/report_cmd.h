// `iovsim report DIR [--out FILE]`: an HTML page of a run's or a sweep's folder, built
// by viz/report.py (matplotlib, Graphviz) from the output files alone.
#pragma once

#include <string>

namespace iovsim {

// Writes `out` (default DIR/report.html). 0 written; 2 DIR is neither a run nor a
// sweep, a tool is missing or the page could not be written (one line on stderr).
int cmd_report(const std::string& dir, const std::string& out);

}  // namespace iovsim
