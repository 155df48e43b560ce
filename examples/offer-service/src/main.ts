console.log('offer-service: not built yet')
