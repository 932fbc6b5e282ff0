// The remapping unit's parameters: impossible shapes and sizes are refused when the
// unit is built, naming the parameter; the defaults are declared.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"
#include "tests/unit/iommu_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim {
namespace {

using namespace iommu;

// Parameters are checked when the unit is built.
class vtd_param_test : public test::sc_fixture {
 protected:
  std::string build_error(const std::string& name, const std::string& value) {
    env->params().set_override(name, value);
    try {
      vtd_unit u("dmar0", mem);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  }
  test::sparse_mem mem;
};

TEST_F(vtd_param_test, zero_entries) {
  EXPECT_NE(build_error("iommu.iotlb_entries", "0").find("iommu.iotlb_entries"), std::string::npos);
}
TEST_F(vtd_param_test, ways_not_dividing_entries) {
  EXPECT_NE(build_error("iommu.iotlb_ways", "3").find("iommu.iotlb_ways"), std::string::npos);
}
TEST_F(vtd_param_test, unknown_policy) {
  EXPECT_NE(build_error("iommu.iotlb_policy", "2").find("iommu.iotlb_policy"), std::string::npos);
}
TEST_F(vtd_param_test, too_many_paging_structure_cache_entries) {
  EXPECT_NE(build_error("iommu.pwc_entries", "5000").find("iommu.pwc_entries"), std::string::npos);
}
TEST_F(vtd_param_test, too_many_fault_records) {
  EXPECT_NE(build_error("iommu.fault_records", "17").find("iommu.fault_records"), std::string::npos);
}
TEST_F(vtd_param_test, declares_its_parameters) {
  vtd_unit u("dmar0", mem);
  const auto& d = env->params().declared();
  for (const char* n : {"iotlb_entries", "iotlb_ways", "iotlb_policy", "iotlb_hit_latency", "walk_read_latency",
                        "invalidation_latency", "device_tlb_invalidation_latency", "prq_write_latency",
                        "fault_records", "host_address_width_bits", "pwc_entries"}) {
    const std::string name = std::string("dmar0.") + n;
    ASSERT_EQ(d.count(name), 1u) << name;
    EXPECT_EQ(d.at(name).kind_name, std::string("iommu.") + n);
    EXPECT_FALSE(d.at(name).doc.empty()) << name;
  }
  EXPECT_EQ(d.at("dmar0.iotlb_policy").unit, "one of lru, random");
  EXPECT_EQ(u.tlb().config().entries, 1024u);
  EXPECT_EQ(u.tlb().config().ways, 8u);
}
TEST_F(vtd_param_test, two_units_have_their_own_names) {
  env->params().set_override("iommu.iotlb_entries", "64");
  env->params().set_override("dmar1.iotlb_entries", "16");
  env->params().set_override("dmar1.iotlb_ways", "16");
  test::sparse_mem mem1;
  vtd_unit u0("dmar0", mem), u1("dmar1", mem1);
  EXPECT_EQ(u0.tlb().config().entries, 64u);
  EXPECT_EQ(u1.tlb().config().entries, 16u);
  EXPECT_EQ(u1.tlb().sets(), 1u);
  EXPECT_TRUE(env->params().unused_overrides().empty());
}
TEST_F(vtd_param_test, fully_associative_random) {
  env->params().set_override("iommu.iotlb_entries", "64");
  env->params().set_override("iommu.iotlb_ways", "64");
  env->params().set_override("iommu.iotlb_policy", "random");
  vtd_unit u("dmar0", mem);
  EXPECT_EQ(u.tlb().sets(), 1u);
  EXPECT_EQ(u.tlb().config().policy, replacement::random);
}

}  // namespace
}  // namespace iovsim
