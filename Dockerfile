# fediguard in the official nginx image.
#
# The module is built for the nginx of the image it ships in: the first stage
# reads that nginx's version and configure arguments (`nginx -V`), the build
# stage configures the same nginx source with the same arguments
# (tools/nginx-tree-like.sh: the vendored nginx-src crate when the versions
# match, nginx.org's release tarball otherwise) and builds the module against
# it, and the last stage checks that the image's nginx loads it (`nginx -t`).
#
#   docker build -t fediguard .                                  # nginx:1.28.3
#   docker build --build-arg NGINX_VERSION=1.29.3 -t fediguard . # another image

ARG NGINX_VERSION=1.28.3

FROM nginx:${NGINX_VERSION} AS nginx-args
RUN nginx -V 2> /nginx-V.txt

# Built on Debian bookworm: its glibc (2.36) is no newer than the official
# image's (trixie since 1.28.1, bookworm from 1.26.0 to 1.28.0), so the module
# loads there. Images on bullseye (1.24 and older) need an older base.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=nginx-args /nginx-V.txt /tmp/nginx-V.txt
RUN tools/install-deps.sh build \
    && tools/nginx-tree-like.sh /tmp/nginx-V.txt /tmp/nginx \
    && make build NGINX_SOURCE_DIR=/tmp/nginx NGINX_BUILD_DIR=/tmp/nginx/objs

FROM nginx:${NGINX_VERSION}
COPY --from=build /src/objs/ngx_http_fediguard_module.so /etc/nginx/modules/
COPY nginx-conf/demo.conf /etc/nginx/nginx.conf
# The demo listens on loopback for `make run`; in a container it listens on
# every address, and keeps its pid file under the prefix.
RUN sed -i 's/listen 127\.0\.0\.1:8080;/listen 8080;/' /etc/nginx/nginx.conf \
    && mkdir -p /etc/nginx/logs \
    && nginx -t
EXPOSE 8080
CMD ["nginx", "-g", "daemon off;"]
