/*
 * tcpserv04: the book's final chapter 5 server (UNP §5.10, Figures 5.11 and 5.12), written anew
 * for the tests: tcpserv01 plus a SIGCHLD handler that loops on waitpid(-1, &stat, WNOHANG),
 * and an accept that an interrupting signal does not end. The loop with WNOHANG is the line
 * ch5-sigchld teaches; two builds lack it:
 *   -DNO_WNOHANG   the loop calls waitpid(-1, &stat, 0), as the lesson's guard changes it: the
 *                  handler then blocks while a child still runs, and the server stops accepting;
 *   -DSINGLE_WAIT  the handler calls wait once, as tcpserv02's (§5.8): children that end
 *                  together leave zombies, since standard signals are not queued.
 */
#include "unp.h"

static void sig_chld(int signo)
{
	pid_t pid;
	int stat;
	int saved = errno;
	(void)signo;
#if defined(SINGLE_WAIT)
	pid = wait(&stat);
	say_terminated(pid);
#elif defined(NO_WNOHANG)
	while ((pid = waitpid(-1, &stat, 0)) > 0)
		say_terminated(pid);
#else
	while ((pid = waitpid(-1, &stat, WNOHANG)) > 0)
		say_terminated(pid);
#endif
	errno = saved;
}

int main(void)
{
	int listenfd = tcp_listen_serv_port();
	Signal(SIGCHLD, sig_chld); /* must call waitpid() */
	for (;;) {
		struct sockaddr_in cliaddr;
		socklen_t clilen = sizeof(cliaddr);
		int connfd = accept(listenfd, (struct sockaddr *)&cliaddr, &clilen);
		if (connfd < 0) {
			if (errno == EINTR)
				continue; /* back to for() */
			err_sys("accept");
		}
		pid_t childpid = fork();
		if (childpid < 0)
			err_sys("fork");
		if (childpid == 0) { /* child process */
			close(listenfd); /* close listening socket */
			str_echo(connfd); /* process the request */
			exit(0);
		}
		close(connfd); /* parent closes connected socket */
	}
}
