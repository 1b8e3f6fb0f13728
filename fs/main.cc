// partfs entry point: a thin shell over partfs_fs (placeholder until the FUSE layer lands).
#include <cstdio>
int main() {
  std::fprintf(stderr, "partfs: not built yet\n");
  return 2;
}
