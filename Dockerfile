# One image for every Awan service; docker-compose.yml picks the app with the command.
FROM node:24-bookworm-slim AS build
WORKDIR /awan
COPY package.json package-lock.json .npmrc ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
COPY api api
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /awan
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=build /awan/package.json ./
COPY --from=build /awan/node_modules node_modules
COPY --from=build /awan/dist dist
USER node
CMD ["node", "dist/apps/gateway/src/main.js"]
