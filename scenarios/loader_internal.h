// Private to the loader: the built-in profile files embedded at build time by
// scenarios/embed_profiles.cmake, and the validation entry points shared by the
// loader*.cpp files.
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/text_format.h>

#include "scenarios/loader.h"

namespace iovsim::scen {

struct embedded_file {
  const char* name;  // "platform/profiles/intel_x540.pbtxt"
  const char* text;
};
extern const embedded_file k_builtin_profile_files[];
extern const unsigned k_builtin_profile_count;

// Where a message sits in its file: the file name and the parse tree that protobuf's
// text parser filled in, so semantic errors can point at the offending field.
class locator {
 public:
  locator(const std::string& file, const google::protobuf::TextFormat::ParseInfoTree* tree,
          source_location self)
      : m_file(&file), m_tree(tree), m_self(self) {}

  const std::string& file() const { return *m_file; }
  source_location self() const { return m_self; }
  // Where `field` (element `index` of a repeated field) of `msg` starts; this
  // message's own location when the field was not written in the file.
  source_location at(const google::protobuf::Message& msg, const char* field,
                     int index = -1) const;
  locator nested(const google::protobuf::Message& msg, const char* field,
                 int index = -1) const;
  [[noreturn]] void fail(source_location loc, const std::string& message) const;
  [[noreturn]] void fail(const google::protobuf::Message& msg, const char* field, int index,
                         const std::string& message) const {
    fail(at(msg, field, index), message);
  }

 private:
  const std::string* m_file;
  const google::protobuf::TextFormat::ParseInfoTree* m_tree;
  source_location m_self;
};

// A profile library being assembled: the profiles and where each was defined, so a
// duplicate name can say where the first one is.
struct profile_set {
  pb::ProfileLibrary library;
  std::vector<std::string> device_file, port_file, host_file;
  std::vector<source_location> device_loc, port_loc, host_loc;
};

// Validates every profile of `lib` (located by `where`) and appends it to `into`;
// throws input_error on the first problem, including a name already in `into`.
void validate_and_merge(const pb::ProfileLibrary& lib, const locator& where,
                        profile_set& into);

// Checks a parsed scenario against itself and `profiles` (built-ins + its own),
// and fills in step_loc, param_loc and step_time_ps; throws input_error.
void validate_scenario(loaded_scenario& out, const locator& where,
                       const pb::ProfileLibrary& profiles);

// Checks one machine's platform (kernel command line, topology, files).
void validate_platform(const pb::Platform& p, const locator& at, const pb::ProfileLibrary& profiles);

// Checks the machines' names, the wires, the traffic ports and each step's machine,
// and fills in machine_names, step_machine, wires and traffic (loader_world.cpp).
void validate_world(loaded_scenario& out, const locator& where, const pb::ProfileLibrary& profiles);

// Parses protobuf text, reporting syntax errors as input_error with 1-based positions.
void parse_text(const std::string& path, const std::string& text,
                google::protobuf::Message& out,
                google::protobuf::TextFormat::ParseInfoTree& tree);

}  // namespace iovsim::scen
