// Test main for tests that use SystemC: GoogleTest runs from sc_main, which our own
// main calls. Every SystemC warning is a test failure (the VCML test-bench habit).
#include <gtest/gtest.h>
#include <systemc>

namespace {
void fail_on_report(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() >= sc_core::SC_WARNING)
    ADD_FAILURE() << "SystemC " << report.get_msg_type() << ": " << report.get_msg();
  if (report.get_severity() >= sc_core::SC_ERROR) throw report;
}
}  // namespace

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  sc_core::sc_report_handler::set_handler(fail_on_report);
  return RUN_ALL_TESTS();
}

// Our own main (libsystemc's prints a banner); tests make their own contexts.
int main(int argc, char** argv) { return sc_main(argc, argv); }
