/* mutcast-send: paced multicast UDP sender for MUT's benchmark.
 *
 * Stream s (0-based) goes to group BASE+s, port PORT, at RATE packets/s, for
 * DURATION seconds. Each payload starts with a fixed header in host byte order
 * (sender and sink run on one machine and share CLOCK_MONOTONIC):
 *   bytes 0-3 "MUTB", 4-7 stream id, 8-15 sequence number (from 0),
 *   16-23 send time in ns of CLOCK_MONOTONIC.
 * Pacing: the packets due by now are sent, then the sender sleeps until the next
 * one is due, so a late wake-up sends a short burst rather than losing rate.
 * Prints one JSON object: {"streams":N,"rate":R,"sent":[...],"seconds":S,"cpu_ns":C}; S
 * longer than DURATION means the sender could not keep the pace; C is its own CPU time
 * (getrusage: user + system, which includes the kernel's work in its sendto calls, the
 * softirq of the whole forwarding path run in its context among it).
 *
 * --family 6: IPv6 (stream s to the group with s added to its last 32 bits, hop
 * limit TTL, sent through --interface when given).
 *
 * usage: mutcast-send [--family 4|6] [--group 239.1.1.1|ff0e::8000:1] [--port 5000]
 *                     [--streams 1] [--rate 1000] [--duration 5] [--size 1316] [--ttl 16]
 *                     [--interface IFACE] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_STREAMS 64

static volatile sig_atomic_t stopping;
static void on_signal(int s) { (void)s; stopping = 1; }

static uint64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void usage(void) {
	fprintf(stderr, "usage: mutcast-send [--family 4|6] [--group GROUP] [--port P] [--streams N] [--rate PPS] "
	                "[--duration S] [--size BYTES] [--ttl T] [--interface IFACE]\n");
	exit(2);
}

int main(int argc, char **argv) {
	const char *group = 0, *ifname = 0;
	int family = 4, port = 5000, streams = 1, size = 1316, ttl = 16;
	double rate = 1000, duration = 5;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc) usage();
		const char *o = argv[i], *v = argv[++i];
		if (!strcmp(o, "--group")) group = v;
		else if (!strcmp(o, "--family")) family = atoi(v);
		else if (!strcmp(o, "--interface")) ifname = v;
		else if (!strcmp(o, "--port")) port = atoi(v);
		else if (!strcmp(o, "--streams")) streams = atoi(v);
		else if (!strcmp(o, "--rate")) rate = atof(v);
		else if (!strcmp(o, "--duration")) duration = atof(v);
		else if (!strcmp(o, "--size")) size = atoi(v);
		else if (!strcmp(o, "--ttl")) ttl = atoi(v);
		else usage();
	}
	if (streams < 1 || streams > MAX_STREAMS || rate <= 0 || duration <= 0 || size < 24 || size > 65000)
		usage();
	if (family != 4 && family != 6) usage();
	if (!group) group = family == 6 ? "ff0e::8000:1" : "239.1.1.1";
	/* Every stream's destination, either family: sendto takes them alike. */
	struct sockaddr_storage dest[MAX_STREAMS];
	socklen_t dest_len = family == 6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) { perror("socket"); return 1; }
	if (family == 6) {
		struct in6_addr base;
		if (inet_pton(AF_INET6, group, &base) != 1) usage();
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
		if (ifname) {
			unsigned ifindex = if_nametoindex(ifname);
			if (!ifindex) { perror(ifname); return 1; }
			setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex);
		}
		uint32_t low;
		memcpy(&low, &base.s6_addr[12], 4);
		for (int s = 0; s < streams; s++) {
			struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dest[s];
			memset(d, 0, sizeof *d);
			d->sin6_family = AF_INET6;
			d->sin6_port = htons((uint16_t)port);
			d->sin6_addr = base;
			uint32_t stream_low = htonl(ntohl(low) + (uint32_t)s);
			memcpy(&d->sin6_addr.s6_addr[12], &stream_low, 4);
		}
	} else {
		struct in_addr base;
		if (inet_pton(AF_INET, group, &base) != 1) usage();
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
		if (ifname) {
			struct ip_mreqn m = {.imr_ifindex = (int)if_nametoindex(ifname)};
			setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
		}
		for (int s = 0; s < streams; s++) {
			struct sockaddr_in *d = (struct sockaddr_in *)&dest[s];
			memset(d, 0, sizeof *d);
			d->sin_family = AF_INET;
			d->sin_port = htons((uint16_t)port);
			d->sin_addr.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)s);
		}
	}
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);

	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, 0);
	sigaction(SIGTERM, &sa, 0);

	unsigned char *payload = calloc(1, (size_t)size);
	memcpy(payload, "MUTB", 4);
	uint64_t sent[MAX_STREAMS] = {0};
	uint64_t errors = 0;
	const uint64_t interval = (uint64_t)(1e9 / rate);    /* between packets of one stream */
	const uint64_t total = (uint64_t)(rate * duration);  /* per stream */
	const uint64_t start = now_ns();
	uint64_t next = 0;                                   /* sequence number due next */
	while (next < total && !stopping) {
		uint64_t now = now_ns();
		uint64_t due = (now - start) / interval + 1;
		if (due > total) due = total;
		for (; next < due && !stopping; next++) {
			for (int s = 0; s < streams; s++) {
				uint32_t stream = (uint32_t)s;
				uint64_t ts = now_ns();
				memcpy(payload + 4, &stream, 4);
				memcpy(payload + 8, &next, 8);
				memcpy(payload + 16, &ts, 8);
				for (int tries = 0; tries < 1000; tries++) {
					if (sendto(fd, payload, (size_t)size, 0, (struct sockaddr *)&dest[s], dest_len) >= 0) {
						sent[s]++;
						break;
					}
					if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) { errors++; break; }
				}
			}
		}
		if (next >= total) break;
		uint64_t wake = start + next * interval;
		struct timespec t = {(time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull)};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, 0);
	}
	double seconds = (double)(now_ns() - start) / 1e9;
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	unsigned long long cpu_ns = ((unsigned long long)usage.ru_utime.tv_sec + (unsigned long long)usage.ru_stime.tv_sec) * 1000000000ull
	                            + ((unsigned long long)usage.ru_utime.tv_usec + (unsigned long long)usage.ru_stime.tv_usec) * 1000ull;
	printf("{\"streams\":%d,\"rate\":%.0f,\"size\":%d,\"seconds\":%.3f,\"errors\":%llu,\"cpu_ns\":%llu,\"sent\":[",
	       streams, rate, size, seconds, (unsigned long long)errors, cpu_ns);
	for (int s = 0; s < streams; s++) printf("%s%llu", s ? "," : "", (unsigned long long)sent[s]);
	printf("]}\n");
	return 0;
}
