/* A shared library that is not a Switchboard plugin: it exports no entry symbol. */
int not_a_plugin(void) { return 42; }
