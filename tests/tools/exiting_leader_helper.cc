// A process whose main thread exits first while another thread lives on, as a node's can after
// SIGKILL when one of its threads is inside fsync: the second thread holds the process open until
// its standard input reaches end of file. Used by devnet_test.
#include <pthread.h>
#include <unistd.h>

namespace {

void* ReadUntilEof(void*) {
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  return nullptr;
}

}  // namespace

int main() {
  pthread_t reader;
  if (pthread_create(&reader, nullptr, ReadUntilEof, nullptr) != 0) return 1;
  pthread_exit(nullptr);  // the main thread goes; the process stays until the reader returns
}
