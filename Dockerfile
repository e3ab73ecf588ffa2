# fediguard in the official nginx image.
#
# The build stage runs the same `make build` as CI: the module is built
# against the vendored nginx 1.28.3 with --with-compat, which is how the
# official nginx:1.28.3 image is configured, so the image loads it.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN tools/install-deps.sh build && make build

FROM nginx:1.28.3
COPY --from=build /src/objs/ngx_http_fediguard_module.so /etc/nginx/modules/
COPY nginx-conf/demo.conf /etc/nginx/nginx.conf
# The demo listens on loopback for `make run`; in a container it listens on
# every address, and keeps its pid file under the prefix.
RUN sed -i 's/listen 127\.0\.0\.1:8080;/listen 8080;/' /etc/nginx/nginx.conf \
    && mkdir -p /etc/nginx/logs \
    && nginx -t
EXPOSE 8080
CMD ["nginx", "-g", "daemon off;"]
