#include "sstable/table_properties.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "util/coding.h"

namespace kvs {
namespace {

constexpr std::string_view kComparator = "kvs.comparator";
constexpr std::string_view kCompression = "kvs.compression";
constexpr std::string_view kDataBlocks = "kvs.data.blocks";
constexpr std::string_view kDataSize = "kvs.data.size";
constexpr std::string_view kFilterPolicy = "kvs.filter.policy";
constexpr std::string_view kFilterSize = "kvs.filter.size";
constexpr std::string_view kIndexSize = "kvs.index.size";
constexpr std::string_view kLargestKey = "kvs.key.largest";
constexpr std::string_view kRawKeySize = "kvs.key.raw.size";
constexpr std::string_view kSmallestKey = "kvs.key.smallest";
constexpr std::string_view kNumEntries = "kvs.num.entries";
constexpr std::string_view kRawValueSize = "kvs.value.raw.size";

std::string Varint(uint64_t v) {
  std::string s;
  PutVarint64(&s, v);
  return s;
}

}  // namespace

std::string TableProperties::Encode() const {
  std::vector<std::pair<std::string_view, std::string>> entries = {
      {kComparator, comparator_name},
      {kCompression, Varint(static_cast<uint8_t>(compression))},
      {kDataBlocks, Varint(num_data_blocks)},
      {kDataSize, Varint(data_size)},
      {kFilterPolicy, filter_policy_name},
      {kFilterSize, Varint(filter_size)},
      {kIndexSize, Varint(index_size)},
      {kLargestKey, largest_key},
      {kRawKeySize, Varint(raw_key_size)},
      {kSmallestKey, smallest_key},
      {kNumEntries, Varint(num_entries)},
      {kRawValueSize, Varint(raw_value_size)},
  };
  // Block keys must be in order; sorting here keeps that true if a property is
  // added anywhere in the list above.
  std::sort(entries.begin(), entries.end());
  BlockBuilder builder(/*restart_interval=*/1);
  for (const auto& [name, value] : entries) builder.Add(name, value);
  return std::string(builder.Finish());
}

absl::Status TableProperties::Decode(std::string_view block_data) {
  Block block(BlockContents{block_data, nullptr});
  Block::Iter it(&block, BytewiseComparator());
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view name = it.key();
    std::string_view value = it.value();
    uint64_t* number = nullptr;
    std::string* text = nullptr;
    if (name == kComparator) {
      text = &comparator_name;
    } else if (name == kFilterPolicy) {
      text = &filter_policy_name;
    } else if (name == kSmallestKey) {
      text = &smallest_key;
    } else if (name == kLargestKey) {
      text = &largest_key;
    } else if (name == kDataBlocks) {
      number = &num_data_blocks;
    } else if (name == kDataSize) {
      number = &data_size;
    } else if (name == kFilterSize) {
      number = &filter_size;
    } else if (name == kIndexSize) {
      number = &index_size;
    } else if (name == kRawKeySize) {
      number = &raw_key_size;
    } else if (name == kNumEntries) {
      number = &num_entries;
    } else if (name == kRawValueSize) {
      number = &raw_value_size;
    } else if (name == kCompression) {
      uint64_t type;
      if (!GetVarint64(&value, &type) || !value.empty() ||
          type > static_cast<uint8_t>(CompressionType::kSnappy)) {
        return absl::DataLossError("bad table property kvs.compression");
      }
      compression = static_cast<CompressionType>(type);
      continue;
    }
    if (text != nullptr) {
      text->assign(value.data(), value.size());
    } else if (number != nullptr) {
      if (!GetVarint64(&value, number) || !value.empty()) {
        return absl::DataLossError("bad table property " + std::string(name));
      }
    }
  }
  return it.status();
}

}  // namespace kvs
