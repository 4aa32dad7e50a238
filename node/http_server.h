// The node's HTTP endpoint (cpp-httplib): /healthz, /metrics (Prometheus text format) and a
// read-only web explorer whose pages call JSON endpoints under /api/. Runs its own thread pool;
// handlers only read. Listens where the config says (127.0.0.1 in devnets).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace httplib {
class Server;
}

namespace coal::node {

struct HttpHandlers {
  std::function<std::string()> metrics;              // Prometheus text
  std::function<bool(std::string*)> healthy;         // false + reason when unhealthy
  // JSON API for the explorer: path (after /api/) and query string -> (status, JSON body).
  std::function<std::pair<int, std::string>(const std::string& path,
                                            const std::multimap<std::string, std::string>& params)>
      api;
  std::string explorer_html;
};

class HttpServer {
 public:
  explicit HttpServer(HttpHandlers handlers);
  ~HttpServer();
  // Binds host:port and starts serving in a background thread.
  absl::Status Start(const std::string& listen);
  void Stop();

 private:
  HttpHandlers handlers_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace coal::node
