# The node's own native UDP engine (sip-udp.c; src/sip/transport/native-udp.ts loads it).
# Built by scripts/build-native.mjs at `npm ci`; without it the node uses node:dgram.
{
  "targets": [
    {
      "target_name": "sip_udp",
      "sources": ["sip-udp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
