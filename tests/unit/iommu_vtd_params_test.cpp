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
class VtdParamTest : public test::sc_fixture {
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

TEST_F(VtdParamTest, ZeroEntries) {
  EXPECT_NE(build_error("iommu.iotlb_entries", "0").find("iommu.iotlb_entries"), std::string::npos);
}
TEST_F(VtdParamTest, WaysNotDividingEntries) {
  EXPECT_NE(build_error("iommu.iotlb_ways", "3").find("iommu.iotlb_ways"), std::string::npos);
}
TEST_F(VtdParamTest, UnknownPolicy) {
  EXPECT_NE(build_error("iommu.iotlb_policy", "2").find("iommu.iotlb_policy"), std::string::npos);
}
TEST_F(VtdParamTest, TooManyPagingStructureCacheEntries) {
  EXPECT_NE(build_error("iommu.pwc_entries", "5000").find("iommu.pwc_entries"), std::string::npos);
}
TEST_F(VtdParamTest, TooManyFaultRecords) {
  EXPECT_NE(build_error("iommu.fault_records", "17").find("iommu.fault_records"), std::string::npos);
}
TEST_F(VtdParamTest, DeclaresItsParameters) {
  vtd_unit u("dmar0", mem);
  const auto& d = env->params().declared();
  for (const char* n : {"iommu.iotlb_entries", "iommu.iotlb_ways", "iommu.iotlb_policy", "iommu.iotlb_hit_latency",
                        "iommu.walk_read_latency", "iommu.invalidation_latency",
                        "iommu.device_tlb_invalidation_latency", "iommu.fault_records",
                        "iommu.host_address_width_bits", "iommu.pwc_entries"})
    EXPECT_EQ(d.count(n), 1u) << n;
  EXPECT_EQ(u.tlb().config().entries, 1024u);
  EXPECT_EQ(u.tlb().config().ways, 8u);
}
TEST_F(VtdParamTest, FullyAssociativeRandom) {
  env->params().set_override("iommu.iotlb_entries", "64");
  env->params().set_override("iommu.iotlb_ways", "64");
  env->params().set_override("iommu.iotlb_policy", "1");
  vtd_unit u("dmar0", mem);
  EXPECT_EQ(u.tlb().sets(), 1u);
  EXPECT_EQ(u.tlb().config().policy, replacement::random);
}

}  // namespace
}  // namespace iovsim
