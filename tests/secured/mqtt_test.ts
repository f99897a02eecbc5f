// MQTT over TLS with a password file, against a secured Mosquitto of this file's own (no anonymous
// clients; scripts/brokers.d/secured): the right CA and credentials work end to end; the wrong CA, host name
// or password fail at once with an error naming the cause, without reconnecting, and without the password
// anywhere a user could see it.
import { silentLogger } from "@sluice/core";
import { mqtt } from "@sluice/mqtt";
import { securedSuite } from "../_support/secured_suite.ts";
import { roundTrip } from "./_checks.ts";

securedSuite({
  title: "mqtt: TLS and a password file (secured Mosquitto)",
  name: "mqtt",
  scheme: "mqtts",
  make: mqtt,
  wrongPassword: /not authori[sz]ed|bad user ?name or password|password/i,
  // The example of plugins/mqtt/README.md.
  withOptions: async (server) => {
    // server.url: mqtts://127.0.0.1:PORT; server.ca: the PEM text of the CA that signed its certificate.
    const broker = mqtt({
      url: server.url,
      username: server.user,
      password: server.password,
      tls: { ca: server.ca },
      logger: silentLogger,
    });
    await roundTrip(broker);
  },
});
