// RabbitMQ over TLS (amqps) with a user and password, against a secured RabbitMQ node of this file's own (no
// plaintext listener, no guest; scripts/brokers.d/secured): the right CA and credentials work end to end; the wrong CA, host name
// or password fail at once with an error naming the cause, without reconnecting, and without the password
// anywhere a user could see it.
import { silentLogger } from "@sluice/core";
import { rabbitmq } from "@sluice/rabbitmq";
import { securedSuite } from "../_support/secured_suite.ts";
import { roundTrip } from "./_checks.ts";

securedSuite({
  title: "rabbitmq: TLS and a user with a password (secured RabbitMQ node)",
  name: "amqp",
  scheme: "amqps",
  make: rabbitmq,
  wrongPassword: /ACCESS.REFUSED|password|login/i,
  startTimeout: 150_000,
  // The example of plugins/rabbitmq/README.md.
  withOptions: async (server) => {
    // server.url: amqps://127.0.0.1:PORT; server.ca: the PEM text of the CA that signed its certificate.
    const broker = rabbitmq({
      url: server.url,
      username: server.user,
      password: server.password,
      tls: { ca: server.ca },
      logger: silentLogger,
    });
    await roundTrip(broker);
  },
});
