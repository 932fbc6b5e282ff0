# One line per unit-test executable (paths relative to tests/).
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/lspci_test.cpp)
  iovsim_test(lspci_test SOURCES unit/lspci_test.cpp LIBS iovsim_lspci)
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/loader_test.cpp)
  iovsim_test(loader_test SOURCES unit/loader_test.cpp LIBS iovsim_loader)
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/shell_test.cpp)
  # The shell's sources directly: it stays independent of the rest of iovsim_drivers.
  iovsim_test(shell_test SOURCES unit/shell_test.cpp ../drivers-sim/shell.cpp ../drivers-sim/shell_sys.cpp
              ../drivers-sim/shell_builtins.cpp ../drivers-sim/shell_grep.cpp LIBS fmt::fmt)
  target_include_directories(shell_test PRIVATE ${PROJECT_SOURCE_DIR})
endif()
iovsim_test(kit_test SYSTEMC SOURCES unit/kit_test.cpp LIBS iovsim_kit)
iovsim_test(pcie_test SYSTEMC SOURCES unit/pcie_test.cpp LIBS iovsim_pcie iovsim_loader)
iovsim_test(platform_host_test SYSTEMC SOURCES unit/platform_host_test.cpp LIBS iovsim_drivers iovsim_loader)
