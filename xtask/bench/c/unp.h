/* unp.h: what the bench's C echo servers share, as the book's lib/ gives its programs: the
 * constants of its unp.h, err_sys, writen, str_echo and the listening socket on SERV_PORT.
 * Written for unp-lab; each function is static inline, so each server is one file and one cc. */
#ifndef UNP_BENCH_H
#define UNP_BENCH_H

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERV_PORT 9877 /* the book's port for its echo servers */
#define LISTENQ 1024   /* the backlog the book's listen wrapper asks for */
#define MAXLINE 4096   /* the largest read, as the course's Rust str_echo */

/* A failed system call: its name and strerror, then exit 1, as the book's err_sys. */
static inline void err_sys(const char *call)
{
    fprintf(stderr, "%s error: %s\n", call, strerror(errno));
    exit(1);
}

/* Write all n bytes, again after a signal interrupted write; -1 on any other error. */
static inline ssize_t writen(int fd, const char *buf, size_t n)
{
    size_t left = n;
    while (left > 0) {
        ssize_t done = write(fd, buf, left);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        left -= (size_t)done;
        buf += done;
    }
    return (ssize_t)n;
}

/* Echo whatever arrives until the client's EOF; a failed read or write ends the connection
 * (said on stderr), as the course's str_echo does. */
static inline void str_echo(int sockfd)
{
    char buf[MAXLINE];
    for (;;) {
        ssize_t n = read(sockfd, buf, sizeof buf);
        if (n == 0)
            return;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "str_echo: read error: %s\n", strerror(errno));
            return;
        }
        if (writen(sockfd, buf, (size_t)n) < 0) {
            fprintf(stderr, "str_echo: write error: %s\n", strerror(errno));
            return;
        }
    }
}

/* socket, bind to INADDR_ANY:SERV_PORT, listen: the first lines of every server's main. */
static inline int listen_serv_port(void)
{
    int listenfd = socket(AF_INET, SOCK_STREAM, 0);
    if (listenfd < 0)
        err_sys("socket");
    struct sockaddr_in servaddr;
    memset(&servaddr, 0, sizeof servaddr);
    servaddr.sin_family = AF_INET;
    servaddr.sin_addr.s_addr = htonl(INADDR_ANY);
    servaddr.sin_port = htons(SERV_PORT);
    if (bind(listenfd, (struct sockaddr *)&servaddr, sizeof servaddr) < 0)
        err_sys("bind");
    if (listen(listenfd, LISTENQ) < 0)
        err_sys("listen");
    return listenfd;
}

#endif
