// The devnet tool's port choice (base_port = 0): every port is free, distinct, and below the
// kernel's ephemeral range, so no outgoing connection (nor a client connecting to itself) can take
// it between the choice and the node's bind. Ports in that range made a node unreachable now and
// then (a 4-node test timed out waiting for node 3's Status though it logged "serving").
#include "tools/coalctl/devnet.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "node/config.h"

namespace coal::tools {
namespace {

int Port(const std::string& addr) { return std::stoi(addr.substr(addr.rfind(':') + 1)); }

TEST(DevnetTest, FreePortsAreDistinctAndOutsideTheEphemeralRange) {
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const auto dir =
      std::filesystem::temp_directory_path() / ("coal_devnet_ports_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::set<int> ports;
  for (int net = 0; net < 3; ++net) {  // several devnets from one process never share a port
    DevnetOptions o;
    o.dir = (dir / std::to_string(net)).string();
    o.base_port = 0;
    ASSERT_TRUE(DevnetInit(o).ok());
    for (int i = 0; i < o.nodes; ++i) {
      auto c = node::LoadNodeConfig(o.dir + "/node-" + std::to_string(i) + "/node.toml");
      ASSERT_TRUE(c.ok()) << c.status();
      for (const auto& addr : {c->client_listen, c->peer_listen, c->http_listen}) {
        const int port = Port(addr);
        EXPECT_LT(port, ephemeral_low) << addr;
        EXPECT_GE(port, 1024) << addr;
        EXPECT_TRUE(ports.insert(port).second) << "port " << port << " given twice";
      }
    }
  }
  EXPECT_EQ(ports.size(), 3u * 4u * 3u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace coal::tools
