// C shims for the Linux calls and structures Swift's Glibc module does not expose.
// Only declarations and layout-stable copies of glibc ABI structures live here.
#ifndef CMUT_LINUX_H
#define CMUT_LINUX_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/un.h>
#include <poll.h>
#include <signal.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>
#include <malloc.h>

// Same layout as glibc's struct mmsghdr, which Swift cannot see (it needs _GNU_SOURCE).
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} cmut_mmsghdr;

int cmut_sendmmsg(int fd, cmut_mmsghdr *msgs, unsigned int count, int flags);
int cmut_recvmmsg(int fd, cmut_mmsghdr *msgs, unsigned int count, int flags, struct timespec *timeout);

// Peer credentials of a Unix socket (struct ucred also needs _GNU_SOURCE).
int cmut_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

// Interface hardware address by name (SIOCGIFHWADDR); 0 or -1 with errno.
int cmut_interface_hwaddr(int fd, const char *name, uint8_t out[6]);
// Interface IPv4 address by name (SIOCGIFADDR), network byte order; 0 or -1 with errno.
int cmut_interface_ipv4(int fd, const char *name, uint32_t *out);

// recvmsg on an AF_PACKET socket with PACKET_AUXDATA on: the frame length, its packet type, and
// the 802.1Q tag control information the kernel took out of the frame (*vlan_tci = -1 when the
// frame had none). 0 when nothing is pending (EAGAIN), -1 with errno on error.
ssize_t cmut_receive_packet(int fd, void *buffer, size_t length, uint8_t *packet_type, int32_t *vlan_tci);

// Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE-ignore for the process and returns a signalfd for
// the three; -1 with errno.
int cmut_signalfd_for_daemon(void);

// Names the calling thread (at most 15 bytes kept): shows in top -H and ps -L.
int cmut_set_thread_name(const char *name);

// Privilege drop (see MUTLinux/Privileges.swift). Capability sets are bit masks of
// CAP_* numbers (bit 12 = CAP_NET_ADMIN, bit 13 = CAP_NET_RAW). All return 0 or -1 with errno.
int cmut_setresgid(gid_t gid);
int cmut_setresuid(uid_t uid);
// prctl(PR_SET_KEEPCAPS, on): keep the permitted set across the uid change.
int cmut_set_keep_capabilities(int on);
// prctl(PR_CAPBSET_DROP) for every capability outside `keep`, up to CAP_LAST_CAP.
int cmut_drop_bounding_set_except(uint64_t keep);
// prctl(PR_SET_NO_NEW_PRIVS, 1): no exec can gain privileges back.
int cmut_set_no_new_privileges(void);
// The raw capset/capget syscalls (version 3, 64-bit sets) for the calling thread.
int cmut_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable);
int cmut_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);

#endif
