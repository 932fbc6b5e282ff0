# One line per unit-test executable (paths relative to tests/).
iovsim_test(lspci_test SOURCES unit/lspci_test.cpp LIBS iovsim_lspci)
iovsim_test(loader_test SOURCES unit/loader_test.cpp LIBS iovsim_loader)
# Firmware and the config-space conventions: no SystemC in this executable.
iovsim_test(firmware_test SOURCES unit/firmware_test.cpp LIBS iovsim_firmware)
# The PF-side SR-IOV service (mailbox, switch tables) on a fake BAR0: no SystemC either.
iovsim_test(firmware_sriov_test SOURCES unit/firmware_sriov_test.cpp LIBS iovsim_firmware)
# The packet library (frames, headers, RSS, pcap): no SystemC either. Its captures are
# read by the real tshark: net_pcap_writer writes one frame of each kind for the script.
iovsim_test(net_test SOURCES unit/net_test.cpp unit/net_vxlan_test.cpp unit/net_pool_pcap_test.cpp LIBS iovsim_net)
add_executable(net_pcap_writer unit/net_pcap_writer.cpp)
target_link_libraries(net_pcap_writer PRIVATE iovsim_net)
add_test(NAME net.pcap_tshark COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/pcap_tshark_test.sh
                                      $<TARGET_FILE:net_pcap_writer> ${PROJECT_BINARY_DIR}/pcap-tshark-test)
# The shell and coreutils are a library of their own, without SystemC or the kernel.
iovsim_test(shell_test SOURCES unit/shell_test.cpp LIBS iovsim_userland_shell)
iovsim_test(shell_script_test SOURCES unit/shell_script_test.cpp LIBS iovsim_userland_shell)
iovsim_test(kit_test SYSTEMC SOURCES unit/kit_test.cpp unit/kit_sim_env_test.cpp unit/kit_declarations_test.cpp
            LIBS iovsim_kit)
iovsim_test(pcie_test SYSTEMC SOURCES unit/pcie_test.cpp LIBS iovsim_pcie iovsim_loader)
iovsim_test(platform_host_test SYSTEMC SOURCES unit/platform_host_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(host_system_test SYSTEMC SOURCES unit/host_system_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(linux_fidelity_test SYSTEMC SOURCES unit/linux_fidelity_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(iproute2_vf_test SYSTEMC SOURCES unit/iproute2_vf_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(link_test SYSTEMC SOURCES unit/link_test.cpp LIBS iovsim_pcie)
iovsim_test(memory_dma_test SYSTEMC SOURCES unit/memory_dma_test.cpp LIBS iovsim_testdev iovsim_memory iovsim_loader)
iovsim_test(iommu_test SYSTEMC SOURCES unit/iommu_test.cpp unit/iommu_vtd_test.cpp unit/iommu_vtd_prq_test.cpp
            unit/iommu_vtd_params_test.cpp
            LIBS iovsim_iommu)
iovsim_test(dmar_test SYSTEMC SOURCES unit/dmar_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(iotlb_reach_test SYSTEMC SOURCES unit/iotlb_reach_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(host_ats_pri_test SYSTEMC SOURCES unit/host_ats_pri_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(inject_test SYSTEMC SOURCES unit/inject_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(ats_pri_test SYSTEMC SOURCES unit/ats_pri_test.cpp LIBS iovsim_platform iovsim_loader iovsim_lspci)
iovsim_test(ats_pri_prq_test SYSTEMC SOURCES unit/ats_pri_prq_test.cpp LIBS iovsim_platform iovsim_loader iovsim_lspci)
iovsim_test(run_memory_test SYSTEMC SOURCES unit/run_memory_test.cpp LIBS iovsim_scenarios)
iovsim_test(wire_test SYSTEMC SOURCES unit/wire_test.cpp LIBS iovsim_wire)
iovsim_test(nic_queue_test SYSTEMC SOURCES unit/nic_queue_test.cpp LIBS iovsim_nic)
iovsim_test(nic_core_test SYSTEMC SOURCES unit/nic_core_test.cpp LIBS iovsim_nic)
iovsim_test(nic_switch_test SYSTEMC SOURCES unit/nic_switch_test.cpp LIBS iovsim_nic)
iovsim_test(nic_device_test SYSTEMC SOURCES unit/nic_device_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(trace_bounds_test SYSTEMC SOURCES unit/trace_bounds_test.cpp LIBS iovsim_scenarios)
iovsim_test(nic_datapath_test SYSTEMC SOURCES unit/nic_datapath_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(nic_fault_test SYSTEMC SOURCES unit/nic_fault_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(net_stack_test SYSTEMC SOURCES unit/net_stack_test.cpp LIBS iovsim_host_net iovsim_userland_tools)
iovsim_test(world_test SYSTEMC SOURCES unit/world_test.cpp LIBS iovsim_scenarios)
# VT-d interrupt remapping and posting in the model, and through the DMA router.
iovsim_test(vtd_ir_test SYSTEMC SOURCES unit/vtd_ir_test.cpp LIBS iovsim_platform iovsim_loader)
# The driver's interrupt remapping API and IOMMU groups of multifunction devices.
iovsim_test(iommu_groups_test SYSTEMC SOURCES unit/iommu_groups_test.cpp LIBS iovsim_host iovsim_loader)
iovsim_test(pmd_test SYSTEMC SOURCES unit/pmd_test.cpp LIBS iovsim_scenarios)
# Guests on their virtual platform: config space, MSI-X, injection and posting, isolation.
iovsim_test(guest_test SYSTEMC SOURCES unit/guest_test.cpp LIBS iovsim_scenarios)
# The time-series sampler (kit/series.h) and the VCD file SystemC writes for it.
iovsim_test(series_test SYSTEMC SOURCES unit/series_test.cpp LIBS iovsim_kit)
iovsim_test(pciebench_test SYSTEMC SOURCES unit/pciebench_timing_test.cpp unit/pciebench_rules_test.cpp unit/pciebench_host_test.cpp LIBS iovsim_host iovsim_loader)
