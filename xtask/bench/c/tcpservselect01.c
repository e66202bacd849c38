/* tcpservselect01 in C: one process, every client in client[] and in the descriptor set that
 * select watches (UNP §6.8). As the course's Rust version: a descriptor select cannot hold
 * (FD_SETSIZE and beyond) is refused and closed, and a failed read ends only its client. */
#include "unp.h"

#include <sys/select.h>

int main(void)
{
    int listenfd = listen_serv_port();
    int client[FD_SETSIZE];
    for (int i = 0; i < FD_SETSIZE; i++)
        client[i] = -1; /* -1: a free entry */
    int maxfd = listenfd, maxi = -1;
    fd_set allset, rset;
    FD_ZERO(&allset);
    FD_SET(listenfd, &allset);
    char buf[MAXLINE];
    for (;;) {
        rset = allset;
        int nready = select(maxfd + 1, &rset, NULL, NULL, NULL);
        if (nready < 0) {
            if (errno == EINTR)
                continue;
            err_sys("select");
        }
        if (FD_ISSET(listenfd, &rset)) {
            int connfd = accept(listenfd, NULL, NULL);
            if (connfd < 0) {
                if (errno == ECONNABORTED || errno == EINTR)
                    continue;
                if (errno == EMFILE || errno == ENFILE) {
                    /* Stop accepting until a client leaves, or select spins on the queue. */
                    fprintf(stderr, "accept error: %s\n", strerror(errno));
                    FD_CLR(listenfd, &allset);
                    continue;
                }
                err_sys("accept");
            }
            int i = 0;
            while (i < FD_SETSIZE && client[i] >= 0)
                i++;
            if (i == FD_SETSIZE || connfd >= FD_SETSIZE) {
                fprintf(stderr, "too many clients\n");
                close(connfd);
                continue;
            }
            client[i] = connfd;
            FD_SET(connfd, &allset);
            if (connfd > maxfd)
                maxfd = connfd;
            if (i > maxi)
                maxi = i;
            if (--nready <= 0)
                continue; /* no readable descriptor left */
        }
        for (int i = 0; i <= maxi; i++) {
            int sockfd = client[i];
            if (sockfd < 0 || !FD_ISSET(sockfd, &rset))
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
                FD_CLR(sockfd, &allset); /* first: select must not watch a closed fd */
                close(sockfd);
                client[i] = -1;
                FD_SET(listenfd, &allset); /* a place is free again */
            }
            if (--nready <= 0)
                break;
        }
    }
}
