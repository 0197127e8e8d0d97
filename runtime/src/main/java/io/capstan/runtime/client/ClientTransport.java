package io.capstan.runtime.client;

import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLException;

/**
 * How Capstan's clients reach the API server: fabric8's Vert.x client, with two changes.
 *
 * <p><b>HTTP/2, as client-go speaks it.</b> A few TLS connections carry all of a client's requests and watches,
 * instead of one connection (and one TLS handshake) per concurrent request, up to fabric8's 8,192: a node starting
 * with 2,000 bound pods used a fifth less CPU over HTTP/2, most of the difference TLS handshakes. An open watch also
 * keeps its connection alive, so a burst after a quiet minute does not pay the handshakes again. fabric8 builds
 * its TLS context with ALPN disabled, so HTTP/2 could never be negotiated; this factory gives Vert.x a context that
 * offers {@code h2} and {@code http/1.1}, so a server without HTTP/2 still gets HTTP/1.1. Flow-control windows are
 * client-go's (4 MiB per stream, 1 GiB per connection): with HTTP/2's default 64 KiB a large LIST would wait for a
 * window update every 64 KiB. fabric8's switch turns HTTP/2 off (see {@link KubeClients#builder}).
 *
 * <p><b>Up to {@value #CONNECTIONS} connections of {@value #STREAMS_PER_CONNECTION} streams each, not one.</b> A
 * node's 64 status workers on one connection reached 79 % of the status writes per second that 64 HTTP/1.1
 * connections get from the same server, on eight 86–88 %, and on sixteen of 16 streams no more (parts alternating
 * within a run, docs/benchmarks.md). Likely, though not profiled, because one connection is served by one Vert.x
 * event-loop thread here and one goroutine reading and writing its frames in the server. Vert.x puts a request on
 * the first connection with a free stream and opens another (up to {@value #CONNECTIONS}) when none has one, or
 * while the first still connects: the cap on streams is what spreads a busy client's requests, and a client that
 * sends one request at a time keeps one connection. Together they carry 256 streams, about the 250 the server allows
 * on a single connection (Go's default), so open watches have as much room as before; requests beyond that wait for
 * a free stream.
 *
 * <p><b>One Vert.x instance per process.</b> fabric8 gives each client its own, and closes it right after asking the
 * client to close, while that client's connections still close on its event loops; with HTTP/2's open watch streams
 * every close then logged errors ("event executor terminated"). A shared instance outlives its clients, so their
 * connections close on a running event loop, and a process with several clients runs one set of event-loop threads.
 */
final class ClientTransport extends VertxHttpClientFactory {

    private static final int STREAM_WINDOW = 4 << 20;
    private static final int CONNECTION_WINDOW = 1 << 30;
    static final int CONNECTIONS = 8;
    static final int STREAMS_PER_CONNECTION = 32;

    private final boolean http2;

    ClientTransport(boolean http2) {
        super(SharedVertx.INSTANCE);
        this.http2 = http2;
    }

    @Override
    protected void additionalConfig(WebClientOptions options) {
        if (!http2 || !(options.getSslEngineOptions() instanceof JdkSSLEngineOptions fabric8Tls)) {
            return; // HTTP/1.1 as asked, or plain HTTP (no ALPN without TLS)
        }
        Set<String> tlsVersions = options.getEnabledSecureTransportProtocols();
        options.setProtocolVersion(HttpVersion.HTTP_2)
                .setUseAlpn(true)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
                .setHttp2MaxPoolSize(CONNECTIONS)
                .setHttp2MultiplexingLimit(STREAMS_PER_CONNECTION)
                .setHttp2ConnectionWindowSize(CONNECTION_WINDOW)
                .setInitialSettings(new Http2Settings().setInitialWindowSize(STREAM_WINDOW))
                .setSslEngineOptions(new AlpnEngineOptions(fabric8Tls, tlsVersions.toArray(String[]::new)));
    }

    /** Created on first use, never closed: its threads are daemons. */
    private static final class SharedVertx {
        static final Vertx INSTANCE = create();

        private static Vertx create() {
            // As fabric8 creates its own: the JDK's resolver instead of Vert.x's asynchronous one (read while the
            // instance is created), and no file caching or class-path resolution, which a client never uses.
            String resolverSwitch = "vertx.disableDnsResolver";
            String before = System.getProperty(resolverSwitch);
            System.setProperty(resolverSwitch, "true");
            try {
                return Vertx.vertx(new VertxOptions().setUseDaemonThread(true).setFileSystemOptions(
                        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
            } finally {
                if (before == null) {
                    System.clearProperty(resolverSwitch);
                } else {
                    System.setProperty(resolverSwitch, before);
                }
            }
        }
    }

    /** fabric8's TLS settings (its trust and key managers, in its {@code SSLContext}), with ALPN as Vert.x asks. */
    private static final class AlpnEngineOptions extends JdkSSLEngineOptions {
        private final JdkSSLEngineOptions fabric8Tls;
        private final String[] tlsVersions;

        AlpnEngineOptions(JdkSSLEngineOptions fabric8Tls, String[] tlsVersions) {
            this.fabric8Tls = fabric8Tls;
            this.tlsVersions = tlsVersions;
        }

        @Override
        public JdkSSLEngineOptions copy() {
            return this; // Vert.x copies options it is given; this one holds no mutable state
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return new AlpnContextFactory(fabric8Tls.sslContextFactory(), tlsVersions);
        }
    }

    private static final class AlpnContextFactory implements SslContextFactory {
        private final SslContextFactory fabric8Factory;
        private final String[] tlsVersions;
        private boolean useAlpn;
        private List<String> protocols = List.of();

        AlpnContextFactory(SslContextFactory fabric8Factory, String[] tlsVersions) {
            this.fabric8Factory = fabric8Factory;
            this.tlsVersions = tlsVersions;
        }

        @Override
        public SslContextFactory useAlpn(boolean useAlpn) {
            this.useAlpn = useAlpn;
            return this;
        }

        @Override
        public SslContextFactory applicationProtocols(List<String> protocols) {
            this.protocols = List.copyOf(protocols);
            return this;
        }

        @Override
        public SslContext create() throws SSLException {
            SslContext fabric8Context = fabric8Factory.create();
            if (!useAlpn || protocols.isEmpty() || !(fabric8Context instanceof JdkSslContext jdk)) {
                return fabric8Context;
            }
            var alpn = new ApplicationProtocolConfig(Protocol.ALPN, SelectorFailureBehavior.NO_ADVERTISE,
                    SelectedListenerFailureBehavior.ACCEPT, protocols);
            return new JdkSslContext(jdk.context(), true, null, IdentityCipherSuiteFilter.INSTANCE, alpn,
                    ClientAuth.NONE, tlsVersions.length == 0 ? null : tlsVersions, false);
        }
    }
}
