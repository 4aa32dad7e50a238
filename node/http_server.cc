#include "node/http_server.h"

#include <httplib.h>

namespace coal::node {

HttpServer::HttpServer(HttpHandlers handlers)
    : handlers_(std::move(handlers)), server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("http_listen: expected host:port, got '" + listen + "'");
  }
  const std::string host = listen.substr(0, colon);
  const int port = std::atoi(listen.substr(colon + 1).c_str());
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    std::string reason;
    const bool ok = handlers_.healthy(&reason);
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : reason + "\n", "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.metrics(), "text/plain; version=0.0.4");
  });
  server_->Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.explorer_html, "text/html; charset=utf-8");
  });
  server_->Get(R"(/api/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers_.api) {
      res.status = 404;
      return;
    }
    auto [status, body] = handlers_.api(req.matches[1], req.params);
    res.status = status;
    res.set_content(body, "application/json");
  });
  if (!server_->bind_to_port(host, port)) {
    return absl::UnavailableError("http_listen: cannot bind " + listen);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace coal::node
