/* tcpservpoll01 in C: one process, every client a pollfd in client[] (UNP §6.11). As the
 * course's Rust version: client[] is as large as the descriptor limit, raised to its hard
 * limit, where the book has a fixed OPEN_MAX; a failed read ends only its client. */
#include "unp.h"

#include <poll.h>
#include <sys/resource.h>

/* The descriptor limit, raised to the hard limit when allowed; at most 2^20. */
static size_t open_max(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        err_sys("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
        fprintf(stderr, "setrlimit error: %s\n", strerror(errno));
    return rl.rlim_cur < (1u << 20) ? (size_t)rl.rlim_cur : (1u << 20);
}

int main(void)
{
    int listenfd = listen_serv_port();
    size_t max = open_max();
    struct pollfd *client = calloc(max, sizeof *client);
    if (client == NULL)
        err_sys("calloc");
    client[0].fd = listenfd;
    client[0].events = POLLRDNORM;
    for (size_t i = 1; i < max; i++)
        client[i].fd = -1; /* -1: a free entry */
    size_t maxi = 0;
    char buf[MAXLINE];
    for (;;) {
        int nready = poll(client, maxi + 1, -1);
        if (nready < 0) {
            if (errno == EINTR)
                continue;
            err_sys("poll");
        }
        if (client[0].revents & POLLRDNORM) {
            int connfd = accept(listenfd, NULL, NULL);
            if (connfd < 0) {
                if (errno == ECONNABORTED || errno == EINTR)
                    continue;
                if (errno == EMFILE || errno == ENFILE) {
                    fprintf(stderr, "accept error: %s\n", strerror(errno));
                    client[0].events = 0; /* until a client leaves */
                    continue;
                }
                err_sys("accept");
            }
            size_t i = 1;
            while (i < max && client[i].fd >= 0)
                i++;
            if (i == max) {
                fprintf(stderr, "too many clients\n");
                close(connfd);
                continue;
            }
            client[i].fd = connfd;
            client[i].events = POLLRDNORM;
            if (i > maxi)
                maxi = i;
            if (--nready <= 0)
                continue;
        }
        for (size_t i = 1; i <= maxi; i++) {
            int sockfd = client[i].fd;
            if (sockfd < 0 || !(client[i].revents & (POLLRDNORM | POLLERR)))
                continue;
            ssize_t n = read(sockfd, buf, sizeof buf);
            int done = n == 0;
            if (n < 0 && errno != EINTR) {
                fprintf(stderr, "read error: %s\n", strerror(errno));
                done = 1;
            } else if (n > 0 && writen(sockfd, buf, (size_t)n) < 0) {
                fprintf(stderr, "write error: %s\n", strerror(errno));
                done = 1;
            }
            if (done) {
                close(sockfd);
                client[i].fd = -1;
                client[0].events = POLLRDNORM;
            }
            if (--nready <= 0)
                break;
        }
    }
}
