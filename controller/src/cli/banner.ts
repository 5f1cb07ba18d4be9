/* What `up` prints once the proxy runs the first snapshot: URLs and curl lines that work as printed. */

export interface BannerInput {
  traffic: string;
  admin: string;
  upstreamUrl: string | undefined;
  tokenFile: string | undefined;
  folder: string;
  stateDir: string;
  /** The upstreams the routes use when none is the demo upstream (see demo-reach.ts). */
  elsewhere: readonly string[] | undefined;
}

export function banner(b: BannerInput): string {
  const lines = [
    '',
    'Portcullis is up (local mode).',
    `  traffic   ${b.traffic}`,
    `  admin     ${b.admin}   (snapshot status, /metrics; never expose it)`,
    ...(b.upstreamUrl === undefined ? [] : [`  upstream  ${b.upstreamUrl}   (demo echo service)`]),
    `  policies  ${b.folder}   (edit a file: it is recompiled, signed and pushed within a second)`,
    `  state     ${b.stateDir}   (keys, last-known-good snapshot; controller.log has every status message whole, proxy.log every request)`,
    '',
  ];
  if (b.tokenFile !== undefined) {
    const auth = `-H "Authorization: Bearer $(cat ${b.tokenFile})"`;
    // A request that passes every check is forwarded; with no route reaching the demo upstream the
    // banner must not promise the demo's 200 (the warning printed after it says why).
    const forwarded =
      b.elsewhere === undefined
        ? undefined
        : `502 UpstreamUnavailable unless a service listens at ${b.elsewhere.join(', ')}`;
    lines.push(
      'Try (the token comes from a demo identity provider whose key exists only in this process):',
      `  curl -i ${b.traffic}/health                 # public route: ${forwarded ?? '200'}`,
      `  curl -i ${b.traffic}/v1/orders/42           # no token: 401 AuthenticationRequired`,
      `  curl -i ${auth} ${b.traffic}/v1/orders/42   # ${forwarded === undefined ? '200, upstream sees x-portcullis-subject: demo-user' : `token accepted, then ${forwarded}`}`,
      `  curl -i -H "Authorization: Bearer e30.e30.c2ln" ${b.traffic}/v1/orders/42   # forged: 401 InvalidCredentials`,
      `  curl -i ${b.traffic}/admin                  # undeclared (shadow) route: 404 RouteNotFound`,
      `  curl -s ${b.admin}/v1/snapshot/status       # version and hash in force`,
      '',
    );
  }
  lines.push('Press Ctrl-C to stop.', '');
  return lines.join('\n');
}
