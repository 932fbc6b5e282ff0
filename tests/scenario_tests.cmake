# Every scenario of the library is a test (STYLE.md): expectations hold, a second run
# is byte-identical, outputs equal scenarios/golden/<name>/.
file(GLOB IOVSIM_SCENARIOS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/library/*.pbtxt)
foreach(file ${IOVSIM_SCENARIOS})
  get_filename_component(name ${file} NAME_WE)
  add_test(NAME scenario.${name}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/scenario_test.sh $<TARGET_FILE:iovsim> ${file}
                   ${PROJECT_SOURCE_DIR}/scenarios/golden/${name} ${PROJECT_BINARY_DIR}/scenario-out/${name})
endforeach()

# The bad-input corpus through the command line: exit 2 and the exact message.
# (params/: inputs the loader accepts but the models refuse when they are built.)
file(GLOB IOVSIM_BAD_INPUTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/bad_input/*.pbtxt
     ${CMAKE_CURRENT_SOURCE_DIR}/bad_input/params/*.pbtxt)
foreach(file ${IOVSIM_BAD_INPUTS})
  get_filename_component(name ${file} NAME_WE)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${file})
  get_filename_component(dir ${file} DIRECTORY)
  get_filename_component(dir ${dir} NAME)
  if(dir STREQUAL "params")
    set(name "params.${name}")
  endif()
  add_test(NAME bad_input.${name}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/bad_input_test.sh $<TARGET_FILE:iovsim> ${PROJECT_SOURCE_DIR} ${rel})
endforeach()

# The real lspci decodes the config dumps a scenario writes; Graphviz renders its
# topology; the trace is a well-formed Chrome trace-event file.
add_test(NAME outputs.x540_real_tools
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/real_tools_test.sh ${PROJECT_BINARY_DIR}/scenario-out/x540_sriov_setup/a)
set_tests_properties(outputs.x540_real_tools PROPERTIES DEPENDS scenario.x540_sriov_setup)

# Expectations are real checks: a scenario written to fail must fail, loudly.
add_test(NAME outputs.expectations_can_fail
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/expect_failure_test.sh $<TARGET_FILE:iovsim>
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/expect_failure.pbtxt ${PROJECT_BINARY_DIR}/scenario-out/expect_failure)

# The output folder as input: a file in the way, a full disk, a folder of someone else's.
add_test(NAME outputs.out_dir_errors
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/out_dir_test.sh $<TARGET_FILE:iovsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/library/numvfs_all_or_nothing.pbtxt ${PROJECT_BINARY_DIR}/out-dir-test)

# The real tshark reads the pcap files the two_machines_wire scenario's `capture` steps wrote.
add_test(NAME outputs.world_pcap_tshark
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/world_pcap_tshark_test.sh
                 ${PROJECT_BINARY_DIR}/scenario-out/two_machines_wire/a ${PROJECT_BINARY_DIR}/world-pcap-tshark-test)
set_tests_properties(outputs.world_pcap_tshark PROPERTIES DEPENDS scenario.two_machines_wire)

# The real tshark reads the captures of both ends of ping_two_hosts' cable.
add_test(NAME outputs.ping_pcap_tshark
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/ping_pcap_tshark_test.sh
                 ${PROJECT_BINARY_DIR}/scenario-out/ping_two_hosts/a ${PROJECT_BINARY_DIR}/ping-pcap-tshark-test)
set_tests_properties(outputs.ping_pcap_tshark PROPERTIES DEPENDS scenario.ping_two_hosts)

# The time series adds up to the statistics it samples (conservation) and shows every
# function that received frames.
add_test(NAME outputs.series_conservation
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/series_test.sh ${PROJECT_BINARY_DIR}/scenario-out/replication_saturation/a)
set_tests_properties(outputs.series_conservation PROPERTIES DEPENDS scenario.replication_saturation)
