/** The Netty routing proxy. */
package io.fdbmeta.router;
