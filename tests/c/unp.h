/*
 * unp.h: the little of the book's lib/ that the test fixtures need (UNP vol. 1, 3rd ed.):
 * SERV_PORT, a listening socket on INADDR_ANY, str_echo, and Signal with SA_RESTART.
 * The fixtures are small C programs of this project's own, with the book's interface
 * (a server takes no options and listens on 9877), for CI, which cannot fetch the book's tree.
 */
#ifndef UNP_LAB_TEST_UNP_H
#define UNP_LAB_TEST_UNP_H

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERV_PORT 9877
#define LISTENQ 1024
#define MAXLINE 4096

/* The book's err_sys: the call's name and strerror, then exit 1. */
static inline void err_sys(const char *call)
{
	fprintf(stderr, "%s error: %s\n", call, strerror(errno));
	exit(1);
}

/* socket, bind to INADDR_ANY:SERV_PORT, listen: the first lines of the book's servers. */
static inline int tcp_listen_serv_port(void)
{
	struct sockaddr_in servaddr;
	int listenfd = socket(AF_INET, SOCK_STREAM, 0);
	if (listenfd < 0)
		err_sys("socket");
	memset(&servaddr, 0, sizeof(servaddr));
	servaddr.sin_family = AF_INET;
	servaddr.sin_addr.s_addr = htonl(INADDR_ANY);
	servaddr.sin_port = htons(SERV_PORT);
	if (bind(listenfd, (struct sockaddr *)&servaddr, sizeof(servaddr)) < 0)
		err_sys("bind");
	if (listen(listenfd, LISTENQ) < 0)
		err_sys("listen");
	return listenfd;
}

/* The book's str_echo (Figure 5.3): echo until EOF, reading again after EINTR. */
static inline void str_echo(int sockfd)
{
	char buf[MAXLINE];
	ssize_t n;
again:
	while ((n = read(sockfd, buf, MAXLINE)) > 0)
		if (write(sockfd, buf, (size_t)n) != n)
			err_sys("write");
	if (n < 0 && errno == EINTR)
		goto again;
	else if (n < 0)
		err_sys("str_echo: read");
}

/* The book's Signal (Figure 5.6): sigaction with SA_RESTART. */
static inline void Signal(int signo, void (*func)(int))
{
	struct sigaction act;
	act.sa_handler = func;
	sigemptyset(&act.sa_mask);
	act.sa_flags = SA_RESTART;
	if (sigaction(signo, &act, NULL) < 0)
		err_sys("signal");
}

/* "child PID terminated\n" with one write(2): printf is not async-signal-safe. */
static inline void say_terminated(pid_t pid)
{
	char buf[64] = "child ";
	char digits[16];
	size_t len = strlen(buf), n = 0;
	long v = (long)pid;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < sizeof(digits));
	while (n > 0)
		buf[len++] = digits[--n];
	memcpy(buf + len, " terminated\n", 12);
	len += 12;
	(void)!write(STDOUT_FILENO, buf, len);
}

#endif
