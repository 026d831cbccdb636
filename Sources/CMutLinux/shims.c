#define _GNU_SOURCE
#include "CMutLinux.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

_Static_assert(sizeof(cmut_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");

int cmut_sendmmsg(int fd, cmut_mmsghdr *msgs, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)msgs, count, flags);
}

int cmut_recvmmsg(int fd, cmut_mmsghdr *msgs, unsigned int count, int flags, struct timespec *timeout) {
    return recvmmsg(fd, (struct mmsghdr *)msgs, count, flags, timeout);
}

int cmut_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return -1;
    *pid = cred.pid; *uid = cred.uid; *gid = cred.gid;
    return 0;
}

int cmut_interface_hwaddr(int fd, const char *name, uint8_t out[6]) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return -1;
    memcpy(out, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

int cmut_interface_ipv4(int fd, const char *name, uint32_t *out) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) return -1;
    struct sockaddr_in sin;
    memcpy(&sin, &ifr.ifr_addr, sizeof sin);
    *out = sin.sin_addr.s_addr;
    return 0;
}

int cmut_signalfd_for_daemon(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
