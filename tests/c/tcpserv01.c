/*
 * tcpserv01: the book's concurrent echo server (UNP §5.2, Figure 5.2), written anew for the
 * tests: one child per client; the child closes the listening socket, the parent the
 * connected one. Built with -DLACKS_PARENT_CLOSE it lacks the parent's close(connfd), the
 * line ch5-fork-server teaches (§4.9): the child's close is then not the last, and no FIN goes.
 */
#include "unp.h"

int main(void)
{
	int listenfd = tcp_listen_serv_port();
	for (;;) {
		struct sockaddr_in cliaddr;
		socklen_t clilen = sizeof(cliaddr);
		int connfd = accept(listenfd, (struct sockaddr *)&cliaddr, &clilen);
		if (connfd < 0)
			err_sys("accept");
		pid_t childpid = fork();
		if (childpid < 0)
			err_sys("fork");
		if (childpid == 0) { /* child process */
			close(listenfd); /* close listening socket */
			str_echo(connfd); /* process the request */
			exit(0);
		}
#ifndef LACKS_PARENT_CLOSE
		close(connfd); /* parent closes connected socket */
#endif
	}
}
