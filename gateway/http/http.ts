import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import helmet from '@fastify/helmet';

/**
 * The HTTP side: security headers with a CSP the app runs under, the built app (brotli or
 * gzip, compressed at build time) with hashed assets cached for good and index.html never cached, and a fallback to the app for
 * unknown paths so a deep link opens the app.
 */
export async function registerHttp(app: FastifyInstance, webRoot: string): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The app is often served over plain http on a LAN; don't pin it to https.
    strictTransportSecurity: false,
  });

  const root = resolve(webRoot);
  const built = existsSync(resolve(root, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      // The build writes .br and .gz beside each text asset (vite.config.ts): served by
      // Accept-Encoding with `Vary: Accept-Encoding`, and no CPU spent per request.
      preCompressed: true,
      setHeaders(reply, path) {
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  } else {
    app.log.warn({ webRoot: root }, 'web app not built: run `npm run build`');
  }

  app.setNotFoundHandler((req, reply) => {
    const wantsPage = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
    if (wantsPage && built) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    if (wantsPage) {
      return reply.code(503).type('text/plain').send('The web app is not built. Run `npm run build`, or use `npm start`.');
    }
    return reply.code(404).send({ error: 'Not Found', path: req.url });
  });
}
