// Tests for libvmconfig/vmconfig/ops/host_status.cpp: command-log records as
// hpvmstatus -e events, and which records name a guest.
#include <vmconfig/ops/host_status.hpp>

#include <doctest/doctest.h>

using namespace vmconfig;

TEST_CASE("parse_command_record: the command log's records") {
  const auto ok = parse_command_record("2026-12-05T16:14:01Z root SUCCESS hpvmcreate -P g1 -c 2");
  REQUIRE(ok);
  CHECK(ok->time == "2026-12-05T16:14:01Z");
  CHECK(ok->source == "command");
  CHECK(ok->user == "root");
  CHECK(ok->outcome == "SUCCESS");
  CHECK(ok->text == "hpvmcreate -P g1 -c 2");
  const auto failed = parse_command_record("2026-12-05T16:14:01Z 1000 FAILURE(1) hpvmremove -P x");
  REQUIRE(failed);
  CHECK(failed->user == "1000");
  CHECK(failed->outcome == "FAILURE(1)");
  CHECK_FALSE(parse_command_record(""));
  CHECK_FALSE(parse_command_record("garbage"));
  CHECK_FALSE(parse_command_record("2026-12-05 root SUCCESS x"));
  CHECK_FALSE(parse_command_record("2026-12-05T16:14:01Z root MAYBE x"));
}

TEST_CASE("record_names_guest: -P name, quoted or joined") {
  CHECK(record_names_guest("hpvmcreate -P g1 -c 2", "g1"));
  CHECK(record_names_guest("hpvmstart -Pg1", "g1"));
  CHECK(record_names_guest("hpvmmodify -P 'g 1' -c 2", "g 1") == false); // split on blanks
  CHECK(record_names_guest("hpvmcreate -P 'g1' -c 2", "g1"));
  CHECK_FALSE(record_names_guest("hpvmcreate -P g10", "g1"));
  CHECK_FALSE(record_names_guest("hpvmclone -P g2 -N g1", "g1"));
  CHECK_FALSE(record_names_guest("hpvmnet -S g1", "g1"));
}

TEST_CASE("parse_command_record: runtime events") {
  const auto started =
      parse_command_record("2026-12-05T16:14:01Z - STARTED g1: QEMU (pid 7) started");
  REQUIRE(started);
  CHECK(started->source == "runtime");
  CHECK(started->user == "-");
  CHECK(started->outcome == "STARTED");
  CHECK(started->text == "g1: QEMU (pid 7) started");
  CHECK(record_names_guest(*started, "g1"));
  CHECK_FALSE(record_names_guest(*started, "g"));
  const auto stopped =
      parse_command_record("2026-12-05T16:14:09Z - STOPPED g1: QEMU (pid 7) stopped");
  REQUIRE(stopped);
  CHECK(stopped->outcome == "STOPPED");
  // Only "-" marks a runtime event; a user's record needs a command outcome.
  CHECK_FALSE(parse_command_record("2026-12-05T16:14:01Z root STARTED x"));
  CHECK_FALSE(parse_command_record("2026-12-05T16:14:01Z - RUNNING x"));
}

TEST_CASE("migration_peer: the hosts successful hpvmmigrate records name") {
  using Peer = std::optional<std::pair<bool, std::string>>;
  CHECK(migration_peer("hpvmmigrate -P g1 -h hostb") == Peer{{true, "hostb"}});
  CHECK(migration_peer("hpvmmigrate -o -P go -h hostb # Downtime 5 ms, total time 9 ms.") ==
        Peer{{true, "hostb"}});
  CHECK(migration_peer("hpvmmigrate -p 3 -hhostb -N g1b -q") == Peer{{true, "hostb"}});
  CHECK(migration_peer("hpvmmigrate -oqh 10.0.0.2 -P g1") == Peer{{true, "10.0.0.2"}});
  CHECK(migration_peer("hpvmmigrate --receive # from hosta") == Peer{{false, "hosta"}});
  // The target's own name, when its reply gave it, before the -h alias.
  CHECK(migration_peer("hpvmmigrate -P g1 -h 10.0.0.2 # to nodeb") == Peer{{true, "nodeb"}});
  CHECK(migration_peer("hpvmmigrate -o -P go -h hostb # to nodeb. Downtime 5 ms, total time 9 "
                       "ms.") == Peer{{true, "nodeb"}});
  CHECK(migration_peer("hpvmmigrate -P g1 -h hostb # to a;b") == Peer{{true, "hostb"}});
  // Checks only, the target's record of a check or refusal, other commands.
  CHECK_FALSE(migration_peer("hpvmmigrate -P g1 -h hostb -s"));
  CHECK_FALSE(migration_peer("hpvmmigrate -sF -P g1 -h hostb"));
  CHECK_FALSE(migration_peer("hpvmmigrate --receive"));
  CHECK_FALSE(migration_peer("hpvmmigrate --receive # from"));
  CHECK_FALSE(migration_peer("hpvmmigrate -P g1"));
  CHECK_FALSE(migration_peer("hpvmmigrate -P g1 -h 'a;b'"));
  CHECK_FALSE(migration_peer("hpvmstart -P g1 -h hostb"));
}
