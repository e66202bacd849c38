/* tcpserv01 in C: a child per client, forked after accept, never waited for (UNP §5.2). Each
 * child that ends stays a zombie until the server itself ends: the fault tcpserv04 repairs. */
#include "unp.h"

int main(void)
{
    int listenfd = listen_serv_port();
    for (;;) {
        int connfd = accept(listenfd, NULL, NULL);
        if (connfd < 0)
            err_sys("accept");
        pid_t pid = fork();
        if (pid < 0)
            err_sys("fork");
        if (pid == 0) {
            close(listenfd); /* the child serves; it does not accept */
            str_echo(connfd);
            _exit(0);
        }
        close(connfd); /* the parent accepts; the child holds the connection */
    }
}
