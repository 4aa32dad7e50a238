// A fault-injecting TCP proxy for tests: listens on 127.0.0.1 (ephemeral port) and forwards every
// accepted connection to one target, so a test can put it on one directed link between two real
// processes and delay, drop, cut and heal that link while they run.
//
//   kPass       bytes flow both ways, each chunk held back by the configured delay.
//   kCut        live connections are shut down (the peers see a reset) and new ones are accepted
//               and closed at once: a refused link.
//   kBlackhole  connections stay open but every byte is silently dropped, both ways: a link that
//               loses packets. Leaving kBlackhole shuts down the connections that lost bytes
//               (their streams are corrupt), as a timed-out TCP connection would be.
//
// Each connection has one thread per direction; they poll with short timeouts, so mode changes
// take effect within ~20 ms and the destructor returns promptly. Thread-safe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace coal::testing {

class FaultProxy {
 public:
  enum class Mode { kPass, kCut, kBlackhole };

  explicit FaultProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("fault proxy: socket failed");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof(addr);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~FaultProxy() {
    stop_.store(true);
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (auto& c : conns_) c->Shutdown();
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    ::close(listen_fd_);
  }

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }

  void SetMode(Mode mode) {
    std::lock_guard lock(mu_);
    const Mode before = mode_.exchange(mode);
    if (mode == Mode::kCut || (before == Mode::kBlackhole && mode != Mode::kBlackhole)) {
      for (auto& c : conns_) {
        if (mode == Mode::kCut || c->lost_bytes.load()) c->Shutdown();
      }
    }
  }
  Mode mode() const { return mode_.load(); }

  // Every chunk is forwarded this long after it was read (per direction, order kept).
  void SetDelay(std::chrono::milliseconds delay) { delay_ms_.store(delay.count()); }

  uint64_t bytes_forwarded() const { return forwarded_.load(); }
  uint64_t bytes_dropped() const { return dropped_.load(); }

 private:
  struct Conn {
    Conn(int c, int s) : client(c), server(s) {}
    ~Conn() {
      ::close(client);
      ::close(server);
    }
    void Shutdown() {
      ::shutdown(client, SHUT_RDWR);
      ::shutdown(server, SHUT_RDWR);
    }
    const int client;
    const int server;
    std::atomic<bool> lost_bytes{false};
  };

  static sockaddr_in Loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  static bool WriteAll(int fd, const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  void AcceptLoop() {
    while (!stop_.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (mode_.load() == Mode::kCut) {
        ::close(client);
        continue;
      }
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in target = Loopback(target_port_);
      if (server < 0 ||
          ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
        if (server >= 0) ::close(server);
        ::close(client);
        continue;
      }
      const int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      auto conn = std::make_shared<Conn>(client, server);
      std::lock_guard lock(mu_);
      // Drop connections that have ended so a long flapping run stays bounded.
      std::erase_if(conns_, [](const std::shared_ptr<Conn>& c) { return c.use_count() == 1; });
      conns_.push_back(conn);
      threads_.emplace_back([this, conn] { Pump(conn, conn->client, conn->server); });
      threads_.emplace_back([this, conn] { Pump(conn, conn->server, conn->client); });
    }
  }

  // One direction: read from `from`, write to `to` once each chunk's delay has passed.
  void Pump(const std::shared_ptr<Conn>& conn, int from, int to) {
    std::deque<std::pair<int64_t, std::string>> pending;  // (due ms, bytes)
    char buf[16384];
    bool open = true;
    while (!stop_.load() && (open || !pending.empty())) {
      const int64_t now = NowMs();
      while (!pending.empty() && pending.front().first <= now) {
        if (mode_.load() == Mode::kBlackhole) {
          dropped_.fetch_add(pending.front().second.size());
          conn->lost_bytes.store(true);
        } else if (!WriteAll(to, pending.front().second)) {
          open = false;
          pending.clear();
          break;
        } else {
          forwarded_.fetch_add(pending.front().second.size());
        }
        pending.pop_front();
      }
      if (!open) break;
      int wait_ms = 20;
      if (!pending.empty()) {
        wait_ms = static_cast<int>(std::min<int64_t>(20, pending.front().first - now));
      }
      pollfd p{from, POLLIN, 0};
      if (::poll(&p, 1, std::max(wait_ms, 0)) <= 0) continue;
      const ssize_t n = ::recv(from, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open = false;
        continue;
      }
      if (mode_.load() == Mode::kBlackhole) {
        dropped_.fetch_add(static_cast<uint64_t>(n));
        conn->lost_bytes.store(true);
        continue;
      }
      pending.emplace_back(NowMs() + delay_ms_.load(), std::string(buf, static_cast<size_t>(n)));
    }
    conn->Shutdown();  // one direction ended: end the other
  }

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<Mode> mode_{Mode::kPass};
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<uint64_t> forwarded_{0};
  std::atomic<uint64_t> dropped_{0};
  std::mutex mu_;
  std::vector<std::shared_ptr<Conn>> conns_;  // guarded by mu_
  std::vector<std::thread> threads_;          // guarded by mu_
  std::thread accept_thread_;
};

}  // namespace coal::testing
