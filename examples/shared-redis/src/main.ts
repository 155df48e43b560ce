console.log('shared-redis: not built yet')
