/* tcpserv04 in C: tcpserv01 with a SIGCHLD handler that reaps every ended child with waitpid
 * and WNOHANG in a loop, since several children may end for one signal (UNP §5.10). accept,
 * interrupted by the handler, is called again. */
#include "unp.h"

#include <signal.h>
#include <sys/wait.h>

/* Say which child ended, with write(2): printf is not async-signal-safe. */
static void say_terminated(pid_t pid)
{
    char line[40] = "child ";
    char digits[16];
    int n = 0;
    do {
        digits[n++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid > 0);
    size_t len = strlen(line);
    while (n > 0)
        line[len++] = digits[--n];
    memcpy(line + len, " terminated\n", 12);
    (void)!write(STDOUT_FILENO, line, len + 12);
}

static void sig_chld(int signo)
{
    (void)signo;
    int saved = errno; /* waitpid and write must not change what main's accept saw */
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        say_terminated(pid);
    errno = saved;
}

int main(void)
{
    int listenfd = listen_serv_port();
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = sig_chld;
    sigemptyset(&act.sa_mask);
    act.sa_flags = SA_RESTART; /* as the book's signal() does for every signal but SIGALRM */
    if (sigaction(SIGCHLD, &act, NULL) < 0)
        err_sys("sigaction");
    for (;;) {
        int connfd = accept(listenfd, NULL, NULL);
        if (connfd < 0) {
            if (errno == EINTR)
                continue; /* back to accept */
            err_sys("accept");
        }
        pid_t pid = fork();
        if (pid < 0)
            err_sys("fork");
        if (pid == 0) {
            close(listenfd);
            str_echo(connfd);
            _exit(0);
        }
        close(connfd);
    }
}
