// A first look at kvs: opens (or creates) a database, writes, reads back,
// scans, and reopens it.
//
//   bazel run //examples:hello_kvs -- /tmp/hello_kvs

#include <cstdio>
#include <memory>
#include <string>

#include "lsm/db.h"

namespace {

bool Check(const absl::Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "%s failed: %s\n", what, s.ToString().c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "/tmp/hello_kvs";
  kvs::Options options;
  options.create_if_missing = true;

  auto db = kvs::DB::Open(options, path);
  if (!Check(db.status(), "open")) return 1;
  std::printf("opened %s\n", path.c_str());

  kvs::WriteOptions sync;
  sync.sync = true;
  for (int i = 0; i < 5; i++) {
    std::string key = "key" + std::to_string(i);
    std::string value = "value" + std::to_string(i * i);
    if (!Check((*db)->Put(sync, key, value), "put")) return 1;
    std::printf("put %s = %s (synced)\n", key.c_str(), value.c_str());
  }
  kvs::WriteBatch batch;
  batch.Delete("key0");
  batch.Put("key5", "written in a batch");
  if (!Check((*db)->Write(sync, &batch), "write batch")) return 1;
  std::printf("batch: delete key0, put key5\n");

  auto value = (*db)->Get(kvs::ReadOptions(), "key3");
  if (!Check(value.status(), "get")) return 1;
  std::printf("get key3 -> %s\n", value->c_str());
  auto missing = (*db)->Get(kvs::ReadOptions(), "key0");
  std::printf("get key0 -> %s\n", missing.status().ToString().c_str());

  std::printf("scan:\n");
  auto it = (*db)->NewIterator(kvs::ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::printf("  %.*s = %.*s\n", static_cast<int>(it->key().size()),
                it->key().data(), static_cast<int>(it->value().size()),
                it->value().data());
  }
  if (!Check(it->status(), "scan")) return 1;
  it.reset();

  if (!Check((*db)->Flush(), "flush")) return 1;
  db->reset();
  std::printf("flushed and closed\n");

  db = kvs::DB::Open(options, path);
  if (!Check(db.status(), "reopen")) return 1;
  value = (*db)->Get(kvs::ReadOptions(), "key5");
  if (!Check(value.status(), "get after reopen")) return 1;
  std::printf("after reopen: key5 -> %s\n", value->c_str());
  std::string files;
  (*db)->GetProperty("kvs.num-files-at-level0", &files);
  std::printf("level-0 tables: %s\n", files.c_str());
  return 0;
}
