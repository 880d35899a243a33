// Tests for libavio/avio/host_stats.cpp: the /proc parsers behind
// hpvmstatus -s, -S, -r and -C, and the reading of this test's own process.
#include <avio/host_stats.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <ctime>

using namespace avio;

TEST_CASE("host_stats: /proc/meminfo") {
  const auto m = parse_meminfo("MemTotal:       24684196 kB\n"
                               "MemFree:         1000000 kB\n"
                               "MemAvailable:   22466024 kB\n"
                               "Buffers:          123 kB\n");
  CHECK(m.total_kb == 24684196);
  CHECK(m.available_kb == 22466024);
  const auto old = parse_meminfo("MemTotal: 1024 kB\n"); // kernels before 3.14
  CHECK(old.total_kb == 1024);
  CHECK(old.available_kb == 0);
  CHECK(parse_meminfo("").total_kb == 0);
}

TEST_CASE("host_stats: /proc/cpuinfo") {
  const auto c = parse_cpuinfo("processor\t: 0\n"
                               "model name\t: AMD EPYC 7B13\n"
                               "cpu MHz\t\t: 2449.998\n"
                               "\n"
                               "processor\t: 1\n"
                               "model name\t: AMD EPYC 7B13\n"
                               "cpu MHz\t\t: 3000.000\n");
  CHECK(c.cpus == 2);
  CHECK(c.mhz == doctest::Approx(2449.998));
  CHECK(c.model == "AMD EPYC 7B13");
  // ARM kernels give neither a speed nor a model name.
  const auto arm = parse_cpuinfo("processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\n");
  CHECK(arm.cpus == 2);
  CHECK(arm.mhz == 0.0);
  CHECK(arm.model.empty());
}

TEST_CASE("host_stats: a task's stat line, with spaces and ')' in its name") {
  // Fields 3.. after the name; utime 14, stime 15, starttime 22, processor 39.
  const char* line = "4242 (CPU 0/TCG) R 1 2 3 4 5 6 7 8 9 10 1500 250 13 14 15 16 17 18 "
                     "987654 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 3 37 38 39 40";
  const auto s = parse_task_stat(line);
  REQUIRE(s);
  CHECK(s->utime == 1500);
  CHECK(s->stime == 250);
  CHECK(s->start == 987654);
  CHECK(s->last_cpu == 3);
  const auto odd = parse_task_stat("7 (a) b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
                                   "19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37");
  REQUIRE(odd);
  CHECK(odd->utime == 11);
  CHECK(odd->last_cpu == 36);
  CHECK_FALSE(parse_task_stat("1 (x) S 1 2 3"));
  CHECK_FALSE(parse_task_stat("no parenthesis"));
}

TEST_CASE("host_stats: QEMU's vCPU thread names") {
  const auto kvm = parse_vcpu_thread_name("CPU 3/KVM\n");
  REQUIRE(kvm);
  CHECK(kvm->vcpu == 3);
  CHECK(kvm->accelerator == "KVM");
  const auto tcg = parse_vcpu_thread_name("CPU 12/TCG");
  REQUIRE(tcg);
  CHECK(tcg->vcpu == 12);
  const auto all = parse_vcpu_thread_name("ALL CPUs/TCG");
  REQUIRE(all);
  CHECK(all->vcpu == -1);
  CHECK(all->accelerator == "TCG");
  CHECK_FALSE(parse_vcpu_thread_name("hpvm-g1"));
  CHECK_FALSE(parse_vcpu_thread_name("worker/KVM"));
  CHECK_FALSE(parse_vcpu_thread_name("CPU x/KVM"));
  CHECK_FALSE(parse_vcpu_thread_name("CPU 1/HVF"));
}

TEST_CASE("host_stats: this process, read from /proc") {
  const pid_t self = ::getpid();
  CHECK(process_rss_kb(self) > 0);
  CHECK_FALSE(process_memory_nodes(self).empty());
  const auto started = process_start_epoch(self);
  REQUIRE(started);
  CHECK(*started <= ::time(nullptr));
  CHECK(*started > ::time(nullptr) - 3600);
  const auto t = thread_usage(self, self);
  REQUIRE(t);
  CHECK(t->tid == self);
  CHECK(t->last_cpu >= 0);
  CHECK(t->usage_percent >= 0.0);
  CHECK(t->usage_percent <= 100.0);
  CHECK(qemu_vcpu_threads(self).empty()); // no thread of a test is a vCPU
  const auto h = host_resources();
  CHECK(h.cpu.cpus > 0);
  CHECK(h.memory.total_kb >= h.memory.available_kb);
  CHECK_FALSE(h.numa_nodes.empty());
  CHECK(process_rss_kb(0) == 0); // no such process
}

TEST_CASE("id_list_count: Linux id lists") {
  CHECK(avio::id_list_count("0") == 1U);
  CHECK(avio::id_list_count("0-1") == 2U);
  CHECK(avio::id_list_count("0-1,3\n") == 3U);
  CHECK(avio::id_list_count("0,2-5,8") == 6U);
  CHECK(avio::id_list_count("") == 0U);
  CHECK(avio::id_list_count("3-1") == 0U);
  CHECK(avio::id_list_count("a") == 0U);
  CHECK(avio::id_list_count("0-") == 0U);
}
